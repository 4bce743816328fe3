import { Gauge, Histogram, Registry } from 'prom-client';
import { redisAnswers } from '../queue/redis-connection.ts';
import type { QueueConnectionOptions } from '../queue/interfaces.ts';
import { TaskQueues, taskQueueName } from '../queue/task-queues.ts';
import type { Store } from '../store/store.ts';

/** Task durations in seconds: from sub-second noops to hour-long training. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/**
 * `/metrics` in Prometheus format. Every figure is read from the store (and
 * Redis for queue depth) at scrape time, so any number of webservers agree and
 * nothing is lost when one restarts. Durations of tries that finished since
 * the last scrape are observed into the histogram once each.
 */
export class UpdraftMetrics {
  readonly registry = new Registry();
  private readonly durations: Histogram<'state'>;
  private durationsSeenUntil = '';
  private queues: TaskQueues | null = null;

  constructor(
    private readonly store: Store,
    private readonly queueOptions: QueueConnectionOptions,
  ) {
    const registry = this.registry;
    const self = this;
    const byState = (name: string, help: string, count: () => Promise<Map<string, number>>) =>
      new Gauge({
        name,
        help,
        labelNames: ['state'],
        registers: [registry],
        async collect() {
          const counts = await count();
          this.reset();
          for (const [state, n] of counts) this.set({ state }, n);
        },
      });
    byState('updraft_dag_runs', 'DAG runs by state', () => store.runs.countByState());
    byState('updraft_task_tries', 'task-instance tries by state', () => store.tasks.countByState());
    new Gauge({
      name: 'updraft_queue_depth',
      help: 'BullMQ jobs per Updraft queue and job state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [queue, counts] of await self.queueDepths())
          for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
      },
    });
    new Gauge({
      name: 'updraft_scheduler_loop_seconds',
      help: "duration of the scheduler's last clock-driven loop",
      registers: [registry],
      async collect() {
        const job = await store.schedulerJobs.latest();
        if (job) this.set(job.lastLoopMs / 1000);
      },
    });
    new Gauge({
      name: 'updraft_scheduler_heartbeat_timestamp_seconds',
      help: "the scheduler's latest heartbeat (unix time)",
      registers: [registry],
      async collect() {
        const job = await store.schedulerJobs.latest();
        if (job) this.set(new Date(job.latestHeartbeat).getTime() / 1000);
      },
    });
    this.durations = new Histogram({
      name: 'updraft_task_duration_seconds',
      help: 'duration of finished task tries',
      labelNames: ['state'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    await this.observeFinishedTries();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async observeFinishedTries(): Promise<void> {
    const rows = await this.store.db
      .selectFrom('task_instance')
      .select(['state', 'duration_ms', 'end_date'])
      .where('end_date', '>', this.durationsSeenUntil)
      .where('duration_ms', 'is not', null)
      .orderBy('end_date')
      .execute();
    for (const row of rows) this.durations.observe({ state: row.state }, row.duration_ms! / 1000);
    if (rows.length > 0) this.durationsSeenUntil = rows.at(-1)!.end_date!;
  }

  /** Waiting / active / delayed jobs of every queue some DAG routes tasks to; empty when Redis is down. */
  async queueDepths(): Promise<Map<string, Record<string, number>>> {
    const depths = new Map<string, Record<string, number>>();
    if (!(await redisAnswers(this.queueOptions, 300))) return depths;
    this.queues ??= new TaskQueues(this.queueOptions);
    const names = new Set((await this.store.dags.list({ activeOnly: true })).flatMap((d) => d.spec.tasks.map((t) => t.queue)));
    for (const name of names)
      depths.set(name, await this.queues.queue(taskQueueName(name)).getJobCounts('waiting', 'active', 'delayed', 'prioritized'));
    return depths;
  }

  async close(): Promise<void> {
    await this.queues?.close();
  }
}

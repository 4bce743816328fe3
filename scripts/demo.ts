// npm run demo: the retraining pipeline end to end on synthetic data.
// Through scheduler + workers (BullMQ) when a Redis answers at REDIS_URL, else in-process.
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { printRows } from '../engine/cli/output.ts';
import { DagModuleCache } from '../engine/dag-processing/dag-module-cache.ts';
import { runDagRunLocally } from '../engine/execution/local-executor.ts';
import { DagRunType } from '../engine/models/states.ts';
import { redact } from '../engine/logging/redact.ts';
import { createRedis, redisAnswers, redisUrl } from '../engine/queue/redis-connection.ts';
import { updraftHome } from '../engine/store/database.ts';
import { defaultRunId, type DagRun } from '../engine/store/dag-run-repository.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { systemClock } from '../engine/utils/clock.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import type { DriftReport } from '../ml/drift/drift-report.ts';
import { ModelRegistry } from '../ml/registry/model-registry.ts';
import { RetrainLog } from '../ml/retrain-log.ts';

const DAG_ID = 'ml_retraining_pipeline';
const DAG_FILE = resolve(import.meta.dirname, '..', 'dags', 'ml_retraining_pipeline.ts');
const say = (line: string) => process.stdout.write(`\n== ${line}\n`);

async function main(): Promise<void> {
  const home = updraftHome();
  const dataDir = join(home, 'data', 'churn');
  writeChurnData(dataDir, { drift: true });
  say(
    `synthetic churn data in ${dataDir}: reference.csv (baseline), current.csv (drifted production sample), train.csv (fresh labelled data)`,
  );

  const store = await openStoreWithPlugins();
  const dag = await new DagModuleCache().get(DAG_ID, DAG_FILE);
  const spec = dag.toSpec();
  const runs: Array<{ label: string; conf: Record<string, unknown> }> = [
    { label: 'production data drifted', conf: {} },
    { label: 'production data like the reference', conf: { current: join(dataDir, 'reference.csv') } },
  ];
  const created: DagRun[] = [];
  for (const r of runs) {
    const now = new Date();
    const run = await store.runs.create(
      spec,
      {
        runId: defaultRunId(DagRunType.MANUAL, now),
        runType: DagRunType.MANUAL,
        logicalDate: now,
        conf: r.conf,
        dataInterval: dag.timetable.manualDataInterval(now),
      },
      now,
    );
    created.push(run!);
    await new Promise((t) => setTimeout(t, 5));
  }

  if (await redisAnswers()) {
    say(`Redis answers at ${redact(redisUrl())}: running through a scheduler and 2 worker processes (BullMQ)`);
    // New DAGs start paused (Airflow's dags_are_paused_at_creation): the demo unpauses the one it runs.
    await store.dags.upsert(
      spec,
      { fileloc: DAG_FILE, relativeFileloc: 'ml_retraining_pipeline.ts' },
      'demo',
      new Date().toISOString(),
      false,
    );
    await store.dags.setPaused(DAG_ID, false);
    try {
      await runDistributed(store, created);
    } finally {
      // Paused again, as a new DAG is: a scheduler started later does not begin its schedule unasked.
      await store.dags.setPaused(DAG_ID, true);
    }
  } else {
    say(`no Redis at ${redact(redisUrl())}: running in-process (updraft dags test style); start redis-server to see scheduler + workers`);
    for (const run of created) await runDagRunLocally(store, dag, run, systemClock, { echo: () => {} });
  }

  for (const [i, run] of created.entries()) {
    const final = (await store.runs.get(DAG_ID, run.runId))!;
    say(`run ${i + 1} (${runs[i]!.label}): ${final.runId} → ${final.state}`);
    const tries = await store.tasks.allTries(DAG_ID, run.runId);
    printRows(
      spec.tasks
        .map((t) => tries.filter((x) => x.taskId === t.taskId).at(-1)!)
        .map((ti) => ({
          task_id: ti.taskId,
          try: ti.tryNumber,
          state: ti.state,
          duration_s: ti.durationMs === null ? '' : (ti.durationMs / 1000).toFixed(2),
          worker: ti.workerId ?? '',
          error: ti.error ?? '',
        })),
      'table',
    );
    const xcom = await store.xcom.forRun(DAG_ID, run.runId);
    const report = xcom.get('check_drift') as DriftReport | undefined;
    if (report) {
      process.stdout.write(
        `drift report (method ${report.method}, ${report.correction} correction, drifted share ${report.drifted_share.toFixed(2)} vs ${report.share}): ${report.drift ? 'DRIFT' : 'no drift'}\n`,
      );
      printRows(
        report.columns.map((c) => ({
          column: c.column,
          test: c.test,
          statistic: c.statistic.toFixed(4),
          p_adjusted: c.p_value_adjusted?.toExponential(3) ?? '',
          distance: c.distance?.toFixed(4) ?? '',
          threshold: c.threshold,
          psi: c.psi.toFixed(3),
          drifted: c.drifted ? 'DRIFT' : '',
        })),
        'table',
      );
    }
    const trained = xcom.get('train_model') as { metrics: Record<string, number> } | undefined;
    if (trained)
      process.stdout.write(
        `holdout metrics: ${Object.entries(trained.metrics)
          .map(([k, v]) => `${k}=${v.toFixed(4)}`)
          .join('  ')}\n`,
      );
  }

  const registry = new ModelRegistry(store);
  say('model registry: churn');
  printRows(
    (await registry.versions('churn').catch(() => [])).map((v) => ({
      version: v.version,
      stage: v.stage,
      accuracy: v.metrics.accuracy?.toFixed(4),
      precision: v.metrics.precision?.toFixed(4),
      roc_auc: v.metrics.roc_auc?.toFixed(4),
      created_at: v.createdAt,
    })),
    'table',
  );
  printRows(
    (await registry.history('churn').catch(() => [])).map((p) => ({
      version: p.version,
      in_production_from: p.startedAt,
      until: p.endedAt ?? '(now)',
      reason: p.reason,
    })),
    'table',
  );
  const retrainLog = await new RetrainLog(store).list('churn');
  say(retrainLog.length > 6 ? `retrain log (latest 6 of ${retrainLog.length})` : 'retrain log');
  printRows(
    retrainLog.slice(-6).map((e) => ({
      timestamp: e.timestamp,
      trigger: e.trigger,
      decision: e.decision,
      success: e.success,
      version: e.version ?? '',
      reason: e.reason ?? e.error ?? '',
    })),
    'table',
  );
  process.stdout.write(
    `\nExplore (the installed command; inside this clone 'npx updraft' works too): updraft models history churn | updraft retrain-log | updraft tasks logs ${DAG_ID} ${created[0]!.runId} check_drift\n`,
  );
  process.stdout.write('Or in a browser: updraft webserver, then open http://127.0.0.1:8080 (grid, graph, logs, models)\n');
  await store.close();
}

/**
 * A scheduler and two workers on a DAG folder holding only this pipeline, until
 * both runs finish. Leaves nothing behind: the processes stop, the temporary
 * DAG folder and every Redis key under the demo's own prefix go, even on Ctrl-C.
 */
async function runDistributed(store: Store, runs: DagRun[]): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'updraft-demo-dags-'));
  writeFileSync(join(folder, 'ml_retraining_pipeline.ts'), `export { default } from ${JSON.stringify(DAG_FILE)};\n`);
  const logs = join(updraftHome(), 'logs');
  mkdirSync(logs, { recursive: true });
  const prefix = `updraft-demo-${process.pid}`;
  const env = {
    ...process.env,
    UPDRAFT_DAGS_FOLDER: folder,
    UPDRAFT_REDIS_PREFIX: prefix,
    UPDRAFT_LOG_FORMAT: 'json',
    UPDRAFT_WORKER_LOCK_SECONDS: '120',
  };
  const bin = resolve(import.meta.dirname, '..', 'bin', 'updraft.mjs');
  // The scheduler's clock starts just after the DAG's startDate, so that it creates no
  // @daily run of its own while the demo's two runs go through (workers keep real time).
  const pinned = { UPDRAFT_NOW: '2026-06-01T06:00:00Z' };
  const children: ChildProcess[] = ['scheduler', 'worker', 'worker'].map((cmd, i) =>
    spawn(process.execPath, [bin, cmd], {
      env: cmd === 'scheduler' ? { ...env, ...pinned } : env,
      stdio: ['ignore', 'ignore', openSync(join(logs, `demo-${cmd}-${i}.log`), 'a')],
    }),
  );
  const cleanUp = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))),
    );
    rmSync(folder, { recursive: true, force: true });
    const redis = createRedis();
    try {
      for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 }))
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    } finally {
      redis.disconnect();
    }
  };
  const interrupted = (): void => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    for (;;) {
      const states = await Promise.all(runs.map(async (r) => (await store.runs.get(r.dagId, r.runId))!.state));
      if (states.every((s) => s === 'success' || s === 'failed')) break;
      await new Promise((t) => setTimeout(t, 250));
    }
  } finally {
    process.off('SIGINT', interrupted);
    await cleanUp();
  }
  process.stdout.write(`(scheduler and worker logs: ${logs})\n`);
}

await main();

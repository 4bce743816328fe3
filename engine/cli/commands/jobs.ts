import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { isAlive, SCHEDULER_HEALTH_THRESHOLD_MS } from '../../store/small-repositories.ts';
import type { CliContext } from '../context.ts';

/** Airflow's `jobs check`: a liveness probe for the scheduler (docker healthchecks, monitoring). */
export function registerJobCommands(program: Command, ctx: () => CliContext): void {
  program.command('jobs').description('scheduler liveness')
    .command('check').description(`exit 0 if a scheduler has beaten in the last ${SCHEDULER_HEALTH_THRESHOLD_MS / 1000} s, else 1`)
    .option('--job-type <type>', 'the job type (only SchedulerJob is tracked)', 'SchedulerJob')
    .action(async (o: { jobType: string }) => {
      if (o.jobType !== 'SchedulerJob') throw new InvalidInputError(`--job-type: only 'SchedulerJob' is tracked, got '${o.jobType}'`);
      const job = await (await ctx().store()).schedulerJobs.latest();
      if (job && isAlive(job)) {
        process.stdout.write(`Found one alive job (${job.hostname}, last heartbeat ${job.latestHeartbeat}).\n`);
      } else {
        process.stderr.write(`No alive jobs found.${job ? ` The last scheduler heartbeat was ${job.latestHeartbeat}.` : ''}\n`);
        process.exitCode = 1;
      }
    });
}

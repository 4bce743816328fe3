import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';
import { hostname } from 'node:os';
import { isAlive, JOB_TYPES, SCHEDULER_HEALTH_THRESHOLD_MS, type JobType } from '../../store/small-repositories.ts';
import type { CliContext } from '../context.ts';

/** Airflow's `jobs check`: a liveness probe for schedulers and workers (docker healthchecks, monitoring). */
export function registerJobCommands(program: Command, ctx: () => CliContext): void {
  program
    .command('jobs')
    .description('scheduler liveness')
    .command('check')
    .description(`exit 0 if a job of the type has beaten in the last ${SCHEDULER_HEALTH_THRESHOLD_MS / 1000} s, else 1`)
    .option('--job-type <type>', `the job type: ${JOB_TYPES.join(' or ')}`, 'SchedulerJob')
    .option('--local', 'only jobs on this host (a container healthcheck)')
    .action(async (o: { jobType: string; local?: boolean }) => {
      if (!(JOB_TYPES as readonly string[]).includes(o.jobType))
        throw new InvalidInputError(`--job-type: one of ${JOB_TYPES.join(', ')}, got '${o.jobType}'`);
      const job = await (await ctx().store()).schedulerJobs.latest(o.jobType as JobType, o.local ? hostname() : undefined);
      if (job && isAlive(job)) {
        process.stdout.write(`Found one alive job (${job.hostname}, last heartbeat ${job.latestHeartbeat}).\n`);
      } else {
        process.stderr.write(`No alive jobs found.${job ? ` The last scheduler heartbeat was ${job.latestHeartbeat}.` : ''}\n`);
        process.exitCode = 1;
      }
    });
}

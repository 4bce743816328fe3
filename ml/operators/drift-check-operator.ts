import { BaseOperator, type DagGraph, skipAllExcept, type TaskContext, type TaskOptions } from '../../engine/plugin-api.ts';
import { CsvTable } from '../data/csv-table.ts';
import { detectDrift, type DriftOptions, type DriftReport } from '../drift/drift-report.ts';

/** A value, or a function of the task context (e.g. a path built from params). */
export type FromContext<T> = T | ((context: TaskContext) => T);
const resolve = <T>(value: FromContext<T>, context: TaskContext): T =>
  typeof value === 'function' ? (value as (c: TaskContext) => T)(context) : value;

/** Options of {@link DriftCheckOperator}: the task options, the two data sets, the drift test's options and where to branch. */
export interface DriftCheckOptions extends TaskOptions, DriftOptions {
  /** Reference (training-time) CSV. */
  reference: FromContext<string>;
  /** Current (production) CSV. */
  current: FromContext<string>;
  /** Direct downstream task ids to follow when there is drift; the others are skipped. @defaultValue all direct downstream */
  onDrift?: string[];
  /** Direct downstream task ids to follow when there is none. @defaultValue none (everything downstream is skipped) */
  onNoDrift?: string[];
  /**
   * Reads a data set named by `reference` / `current` (e.g. an artifact URI, so any host can).
   * @defaultValue a CSV file on this host
   */
  read?: (source: string, context: TaskContext) => CsvTable | Promise<CsvTable>;
  /** Called with the report (e.g. to log the trigger evaluation). @defaultValue none */
  onReport?: (report: DriftReport, context: TaskContext) => void | Promise<void>;
}

/**
 * Compares the current data with the reference (a test per column picked as
 * Evidently does unless `method` forces one; p-values corrected across
 * columns) and branches on the data set's verdict: drift when at least
 * `share` of the columns drifted. Its XCom is the drift report.
 */
export class DriftCheckOperator extends BaseOperator<DriftReport> {
  readonly operatorName = 'drift_check';

  constructor(private readonly drift: DriftCheckOptions) {
    super(drift);
  }

  async execute(context: TaskContext): Promise<DriftReport> {
    const reference = resolve(this.drift.reference, context);
    const current = resolve(this.drift.current, context);
    const read = this.drift.read ?? ((source: string) => CsvTable.read(source));
    const report = detectDrift(await read(reference, context), await read(current, context), this.drift);
    for (const c of report.columns) {
      const score =
        c.p_value_adjusted !== null
          ? `p=${c.p_value!.toExponential(3)} adjusted=${c.p_value_adjusted.toExponential(3)}`
          : `distance=${c.distance!.toFixed(4)}`;
      context.log.info(
        `${c.column}: ${c.test} statistic=${c.statistic.toFixed(4)} ${score} threshold=${c.threshold} psi=${c.psi.toFixed(3)}${c.drifted ? ' DRIFT' : ''}`,
      );
    }
    const drifted = report.columns.filter((c) => c.drifted).length;
    context.log.info(
      `${report.drift ? 'drift detected' : 'no drift'}: ${drifted} of ${report.columns.length} columns drifted (share ${report.drifted_share.toFixed(2)}, rule >= ${report.share})`,
    );
    await this.drift.onReport?.(report, context);
    return report;
  }

  override tasksToSkip(report: DriftReport, graph: DagGraph): string[] {
    const follow = report.drift ? (this.drift.onDrift ?? graph.downstreamOf(this.taskId)) : (this.drift.onNoDrift ?? []);
    return skipAllExcept(this.taskId, follow, graph);
  }
}

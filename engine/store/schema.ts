import type { ColumnType, Generated } from 'kysely';

/** Table row types. Timestamps are ISO-8601 UTC strings; JSON columns are text. */
export interface DagTable {
  dag_id: string;
  fileloc: string;
  /** The file's path inside the DAG folder that parsed it (Airflow's relative_fileloc); null when parsed from outside any folder. */
  relative_fileloc: string | null;
  fingerprint: string;
  is_paused: number;
  is_active: number;
  /** DagSpec as JSON */
  spec: string;
  last_parsed_at: string;
}

export interface DagRunTable {
  dag_id: string;
  run_id: string;
  run_type: string;
  logical_date: string;
  data_interval_start: string;
  data_interval_end: string;
  conf: string;
  state: string;
  queued_at: string;
  start_date: string | null;
  end_date: string | null;
  note: string | null;
  /** Null: the scheduler's; `local <host>:<pid>`: executed by that process (dags test, backfill) — migration 011. */
  executor: string | null;
}

export interface TaskInstanceTable {
  dag_id: string;
  run_id: string;
  task_id: string;
  try_number: number;
  state: string;
  operator: string;
  queue: string;
  max_tries: number;
  queued_at: string | null;
  start_date: string | null;
  end_date: string | null;
  duration_ms: number | null;
  hostname: string | null;
  worker_id: string | null;
  error: string | null;
  updated_at: string;
  /** The retry policy of the DAG load that created the try (null in rows older than migration 006). */
  retry_delay_ms: number | null;
  retry_exponential_backoff: number | null;
  max_retry_delay_ms: number | null;
  /** `scheduler <host>:<pid>` or `worker <host>:<pid>`: who moved the try to queued. */
  queued_by: string | null;
}

export interface XComTable {
  dag_id: string;
  run_id: string;
  task_id: string;
  key: string;
  value: string;
  timestamp: string;
}

export interface TaskLogTable {
  dag_id: string;
  run_id: string;
  task_id: string;
  try_number: number;
  /** 0, 1, 2... per try: logs are written in chunks as the task runs. */
  chunk: number;
  content: string;
  timestamp: string;
}

export interface ImportErrorTable {
  filename: string;
  message: string;
  timestamp: string;
}

export interface Database {
  dag: DagTable;
  dag_run: DagRunTable;
  task_instance: TaskInstanceTable;
  xcom: XComTable;
  task_log: TaskLogTable;
  import_error: ImportErrorTable;
  scheduler_job: SchedulerJobTable;
  dag_folder_parse: DagFolderParseTable;
  deployment: DeploymentTable;
  scheduler_lease: SchedulerLeaseTable;
  artifact: ArtifactTable;
  artifact_chunk: ArtifactChunkTable;
  task_instance_upstream: TaskInstanceUpstreamTable;
}

/** Counts of a task instance's direct upstream outcomes (Airflow's `_UpstreamTIStates`, migration 022); one row per task of a run, whatever its tries. */
export interface TaskInstanceUpstreamTable {
  dag_id: string;
  run_id: string;
  task_id: string;
  /** Direct upstream tasks expected (from the DAG's structure). */
  total: number;
  success: Generated<number>;
  skipped: Generated<number>;
  failed: Generated<number>;
  upstream_failed: Generated<number>;
  removed: Generated<number>;
  /** success + skipped + failed + upstream_failed + removed */
  done: Generated<number>;
  /** Setup/teardown tasks are not supported yet: 0. */
  success_setup: Generated<number>;
  skipped_setup: Generated<number>;
}

/** One artifact of the PostgreSQL artifact store (migration 009); its bytes are in `artifact_chunk`. */
export interface ArtifactTable {
  key: string;
  /** hex SHA-256 of the whole artifact, checked on every read */
  sha256: string;
  /** bytes; PostgreSQL returns a bigint as a string */
  size: ColumnType<string | number, number, number>;
  chunk_count: number;
  created_at: string;
}

export interface ArtifactChunkTable {
  key: string;
  /** 0, 1, 2... */
  seq: number;
  data: Buffer;
}

/** The deployment's identity, one row created with the store (migration 008). */
export interface DeploymentTable {
  id: string;
  created_at: string;
}

/** The last parse of each DAG folder (migration 007). */
export interface DagFolderParseTable {
  folder: string;
  parsed_at: string;
  /** 'scheduler' or 'reserialize' */
  parsed_by: string;
  hostname: string;
  duration_ms: number;
  dag_count: number;
  import_error_count: number;
}

export interface SchedulerJobTable {
  id: string;
  hostname: string;
  started_at: string;
  latest_heartbeat: string;
  last_loop_ms: number;
  /** `SchedulerJob` or `WorkerJob` (migration 012). */
  job_type: string;
  /** A worker's queues, comma-separated (migration 016); null for a scheduler. */
  queues: string | null;
}

/** The active scheduler of a SQLite store (migration 010). */
export interface SchedulerLeaseTable {
  name: string;
  holder: string;
  hostname: string;
  expires_at: string;
}

/**
 * Errors users can catch or raise. Each carries a stable `name` so it survives
 * crossing a worker-thread or process boundary as a plain object.
 */
export class UpdraftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A DAG definition is invalid (cycle, duplicate task, bad option...). */
export class DagValidationError extends UpdraftError {}

/** Raise inside a task to mark it skipped (Airflow's AirflowSkipException). */
export class SkipTaskError extends UpdraftError {
  constructor(message = 'task skipped on purpose') {
    super(message);
  }
}

/** Raise inside a task to fail it with no retry (Airflow's AirflowFailException). */
export class FailWithoutRetryError extends UpdraftError {}

/** A task try ran past its `executionTimeout`. */
export class TaskTimeoutError extends UpdraftError {}

/** A user-supplied value (CLI argument, run conf, option) is unusable. */
export class InvalidInputError extends UpdraftError {}

/** A DAG or run that was asked for does not exist. */
export class NotFoundError extends UpdraftError {}

/** Something with that identity exists already (a run id, a logical date). */
export class AlreadyExistsError extends UpdraftError {}

/**
 * A running try whose task instance was changed from outside (marked success
 * or failed, its run marked or deleted): its worker stops it and discards its
 * outcome. `newState` is what the try was set to; null when its row is gone.
 */
export class TryTerminatedError extends UpdraftError {
  constructor(readonly newState: string | null) {
    super(
      newState === null
        ? 'task instance deleted from outside (its run was deleted); terminating'
        : `task instance state changed to ${newState} from outside; terminating`,
    );
  }
}

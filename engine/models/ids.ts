/** DAG and task ids (Airflow's KEY_REGEX, bounded). */
export const ID = /^[A-Za-z0-9_.-]{1,250}$/;

/** Run ids: letters, digits and `_ . ~ : + -`, as Airflow's run ids. */
export const RUN_ID = /^[A-Za-z0-9_.~:+-]{1,250}$/;

// The same rules as JSON-schema patterns, for route schemas (the engine's and the plugins'):
// fastify validates every path with them, so a bad id is a 400, never a 500.
export const ID_PATTERN = ID.source;
export const RUN_ID_PATTERN = RUN_ID.source;

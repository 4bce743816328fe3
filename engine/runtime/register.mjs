// Makes TypeScript DAG files loadable with no build step, from any folder:
// tsx compiles .ts on import, and a resolve hook maps the bare specifier
// 'updraft' to this checkout, as `from airflow import DAG` resolves wherever
// the DAG file lives.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./resolve-updraft.mjs', import.meta.url);

// Makes TypeScript DAG files loadable with no build step, from any folder:
// tsx compiles .ts on import, and a resolve hook maps the bare specifier
// 'updraft' to this checkout, as `from airflow import DAG` resolves wherever
// the DAG file lives.
//
// In a process running the precompiled build (bin/updraft.mjs sets
// `updraft.compiled`), the hook sends 'updraft' and every engine source a DAG
// file imports by path to their compiled twins in dist/: the very module
// instances the process already runs (class identity for Dag, operators, errors).
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./resolve-updraft.mjs', import.meta.url, { data: { compiled: globalThis[Symbol.for('updraft.compiled')] ?? null } });
// Read by ensureDagLoader (engine/runtime/dag-loader.ts): loaders are registered once per thread.
globalThis[Symbol.for('updraft.dagLoader')] = true;

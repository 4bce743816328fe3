/** Types of build-stamp.mjs (plain JavaScript: bin/updraft.mjs reads it before any TypeScript loader). */
export declare const SOURCE_DIRS: readonly string[];
export declare const STAMP: string;
export declare function newestSourceMtime(root: string): number;
export declare function currentBuild(root: string): { src: string; dist: string } | null;

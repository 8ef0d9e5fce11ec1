// Node's globals and built-in modules for programs compiled in the sandbox, loosely typed: the
// image has no @types/node (Debian does not package it), and programs must still type-check.
declare var process: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
declare var module: any;
declare var exports: any;
declare function require(id: string): any;
// Shorthand declarations: every import from these is `any`.
declare module 'node:*';
declare module 'assert';
declare module 'child_process';
declare module 'crypto';
declare module 'events';
declare module 'fs';
declare module 'os';
declare module 'path';
declare module 'readline';
declare module 'util';

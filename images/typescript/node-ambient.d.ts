// Node's globals and built-in modules for programs compiled in the sandbox, loosely typed: the
// image has no @types/node (it is not packaged by Debian), and programs must still type-check.
declare var process: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
declare var module: any;
declare var exports: any;
declare function require(id: string): any;
declare module 'node:*' {
  const value: any;
  export = value;
}
declare module 'fs' {
  const value: any;
  export = value;
}
declare module 'path' {
  const value: any;
  export = value;
}
declare module 'assert' {
  const value: any;
  export = value;
}
declare module 'readline' {
  const value: any;
  export = value;
}
declare module 'child_process' {
  const value: any;
  export = value;
}
declare module 'os' {
  const value: any;
  export = value;
}

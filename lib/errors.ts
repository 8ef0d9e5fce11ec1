/** `ApplicationFailure` types raised by activities and workflows. */
export const ErrorType = {
  /** The runtime image is missing on the host. */
  ImageMissing: 'ImageMissing',
  /** The container vanished under a running stage (host reboot, manual removal). */
  ContainerGone: 'ContainerGone',
  /** The policy named by the request does not exist on the worker. */
  UnknownPolicy: 'UnknownPolicy',
  UnknownRuntime: 'UnknownRuntime',
  /** The host's copy of the policy's seccomp profile differs from the one the gate recorded. */
  SeccompProfileMismatch: 'SeccompProfileMismatch',
  /** The policy asks for an OCI runtime (e.g. runsc) the host's engine does not have. */
  RuntimeUnavailable: 'RuntimeUnavailable',
  /** The host stopped answering: heartbeat or schedule-to-start timeout on its queue. */
  HostLost: 'HostLost',
  /** A retried stage whose first attempt may have run before its host worker restarted: not run twice. */
  StageInterrupted: 'StageInterrupted',
  /** The host's Docker engine did not answer (socket refused, reset or missing). */
  EngineUnavailable: 'EngineUnavailable',
  /** No host worker picked up provisioning in time. */
  NoHost: 'NoHost',
  Internal: 'Internal',
  /** Sandbox file steps: what the path turned out to be. */
  FileNotFound: 'FileNotFound',
  NotAFile: 'NotAFile',
  NotADirectory: 'NotADirectory',
  FileTooLarge: 'FileTooLarge',
  DirectoryNotEmpty: 'DirectoryNotEmpty',
  /** make_dir: the directory is there already. */
  AlreadyExists: 'AlreadyExists',
  /** Sandbox file writes: what stopped them. */
  WorkspaceFull: 'WorkspaceFull',
  ReadOnlyPath: 'ReadOnlyPath',
  PermissionDenied: 'PermissionDenied',
  IsADirectory: 'IsADirectory',
  SymlinkLoop: 'SymlinkLoop',
  /** A step sent to a sandbox that has ended (or is ending). */
  SandboxEnded: 'SandboxEnded',
  /** A step its client cancelled (or killed) before it ended. */
  StepCancelled: 'StepCancelled',
  /** A step the workflow's validator refused. */
  InvalidStep: 'InvalidStep',
  /** No room on this host for the container's memory and CPUs yet: retried, on any host. */
  HostFull: 'HostFull',
  /** The container asks for more than the host has for all its sandboxes: no wait can help. */
  HostTooSmall: 'HostTooSmall',
  /** The host ran out of memory and its kernel killed a program that stayed within its own limit. */
  HostOutOfMemory: 'HostOutOfMemory',
  /** The sandbox's queue holds as many waiting steps as its tenant's quota allows. */
  StepQueueFull: 'StepQueueFull',
  /** A template's build failed: its packages, files, setup or checks (the log says which). */
  TemplateBuildFailed: 'TemplateBuildFailed',
  /** A template whose image a container still uses: not deleted. */
  TemplateInUse: 'TemplateInUse',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

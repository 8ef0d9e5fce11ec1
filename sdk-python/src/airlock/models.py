# Generated from docs/openapi.json by sdk-python/generate-models.sh: do not edit.

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Dict, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, conint, constr
from typing_extensions import TypeAliasType


class Encoding(Enum):
    utf8 = "utf8"
    base64 = "base64"


class File(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    path: str
    content: str
    encoding: Encoding | None = "utf8"


class Case(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    stdin: str | None = None
    args: list[str] | None = Field(None, max_length=64)
    expected_stdout: str | None = Field(None, alias="expectedStdout")


class Limits(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    timeout_ms: conint(le=3600000, gt=0) | None = Field(None, alias="timeoutMs")
    cpu_time_ms: conint(le=3600000, gt=0) | None = Field(None, alias="cpuTimeMs")
    memory_mb: conint(ge=16, le=65536) | None = Field(None, alias="memoryMb")


Command = TypeAliasType(
    "Command", Annotated[list[str], Field(max_length=64, min_length=1)]
)


class File1(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    path: str
    content: str
    encoding: Encoding | None = "utf8"


class Tests(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    command: str | Command | None = None
    files: list[File1] | None = Field([], max_length=100, validate_default=True)


class ExecutionRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    language: constr(pattern=r"^[a-z][a-z0-9+_-]{0,31}$")
    version: constr(pattern=r"^[0-9]+(?:\.[0-9]+){0,2}$") | None = None
    template: constr(pattern=r"^tpl-[0-9a-f]{24}$") | None = None
    code: str | None = None
    files: list[File] | None = Field(None, max_length=100, min_length=1)
    entrypoint: str | None = None
    stdin: str | None = None
    args: list[str] | None = Field(None, max_length=64)
    expected_stdout: str | None = Field(None, alias="expectedStdout")
    normalize_trailing_whitespace: bool | None = Field(
        True, alias="normalizeTrailingWhitespace"
    )
    cases: list[Case] | None = Field(None, max_length=100, min_length=1)
    env: dict[constr(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"), str] | None = None
    policy: constr(pattern=r"^[a-z][a-z0-9-]{0,63}$") | None = None
    limits: Limits | None = None
    tests: Tests | None = None


class Runtime(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    language: constr(pattern=r"^[a-z][a-z0-9+_-]{0,31}$")
    version: constr(pattern=r"^[0-9]+(?:\.[0-9]+){0,2}$") | None = None


class DebianItem(
    RootModel[
        constr(pattern=r"^[a-z0-9][a-z0-9+.-]{1,99}(?:=[A-Za-z0-9.+~:-]{1,100})?$")
    ]
):
    root: constr(pattern=r"^[a-z0-9][a-z0-9+.-]{1,99}(?:=[A-Za-z0-9.+~:-]{1,100})?$")


class PipItem(
    RootModel[
        constr(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}==[A-Za-z0-9.+!_-]{1,60}$")
    ]
):
    root: constr(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}==[A-Za-z0-9.+!_-]{1,60}$")


class File2(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    path: constr(max_length=512)
    content: str
    encoding: Encoding | None = "utf8"
    executable: bool | None = False


class TemplateSpec(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: constr(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    runtime: Runtime
    debian: list[DebianItem] | None = Field([], max_length=64, validate_default=True)
    pip: list[PipItem] | None = Field([], max_length=64, validate_default=True)
    files: list[File2] | None = Field([], max_length=64, validate_default=True)
    env: dict[constr(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"), str] | None = {}
    setup: str | None = None


class Policy(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    sha256: str


class TimeLimit(Enum):
    wall = "wall"
    cpu = "cpu"
    deadline = "deadline"


class ExecutionStatus(Enum):
    queued = "queued"
    running = "running"
    awaiting_approval = "awaiting_approval"
    succeeded = "succeeded"
    runtime_error = "runtime_error"
    signaled = "signaled"
    time_limit_exceeded = "time_limit_exceeded"
    memory_limit_exceeded = "memory_limit_exceeded"
    output_limit_exceeded = "output_limit_exceeded"
    compile_error = "compile_error"
    wrong_answer = "wrong_answer"
    tests_failed = "tests_failed"
    rejected = "rejected"
    cancelled = "cancelled"
    internal_error = "internal_error"
    host_out_of_memory = "host_out_of_memory"


class Template(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    id: str
    sha256: str


class ImageRef(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    tag: str
    id: str
    definition_sha256: str = Field(..., alias="definitionSha256")
    runtime_version: str = Field(..., alias="runtimeVersion")
    template: Template | None = None


class Name(Enum):
    gate = "gate"
    secrets = "secrets"
    imports = "imports"
    static_analysis = "static-analysis"
    approval = "approval"
    provision = "provision"
    compile = "compile"
    run = "run"
    scan = "scan"
    test = "test"
    teardown = "teardown"


class Outcome(Enum):
    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"
    cancelled = "cancelled"


class Stage(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: Name
    outcome: Outcome
    started_at: str | None = Field(..., alias="startedAt")
    finished_at: str | None = Field(..., alias="finishedAt")
    duration_ms: float | None = Field(..., alias="durationMs")
    detail: str | None = None


class Gate(Enum):
    secrets = "secrets"
    imports = "imports"
    static_analysis = "static-analysis"
    output = "output"


class Verdict(Enum):
    pass_ = "pass"
    warn = "warn"
    block = "block"


class Tool(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    version: str | None


class Severity(Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Location(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    path: str
    line: conint(ge=-9007199254740991, le=9007199254740991) | None
    column: conint(ge=-9007199254740991, le=9007199254740991) | None


class Finding(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    gate: Gate
    rule_id: str = Field(..., alias="ruleId")
    severity: Severity
    message: str
    location: Location | None
    tool: str


class Decision1(Enum):
    approve = "approve"
    reject = "reject"


class Approver(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    key_id: str = Field(..., alias="keyId")
    tenant: str
    label: str


class Decision(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    decision: Decision1
    approver: Approver
    comment: str | None
    decided_at: str = Field(..., alias="decidedAt")


class Decision2(Enum):
    approved = "approved"
    rejected = "rejected"
    timed_out = "timed_out"


class Approval(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    reason: str
    requested_at: str = Field(..., alias="requestedAt")
    required: conint(ge=-9007199254740991, le=9007199254740991) | None = None
    decisions: list[Decision] | None = None
    decision: Decision2 | None
    reviewer: str | None
    reviewer_key_id: str | None = Field(..., alias="reviewerKeyId")
    comment: str | None
    decided_at: str | None = Field(..., alias="decidedAt")


class LimitExceeded(Enum):
    wall = "wall"
    output = "output"
    memory = "memory"
    cpu = "cpu"


class StdoutRef(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    sha256: constr(pattern=r"^[0-9a-f]{64}$")
    bytes: conint(ge=0, le=9007199254740991)


class StderrRef(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    sha256: constr(pattern=r"^[0-9a-f]{64}$")
    bytes: conint(ge=0, le=9007199254740991)


class ProcessResult(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    exit_code: conint(ge=-9007199254740991, le=9007199254740991) | None = Field(
        ..., alias="exitCode"
    )
    signal: str | None
    stdout: str
    stderr: str
    stdout_bytes: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="stdoutBytes"
    )
    stderr_bytes: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="stderrBytes"
    )
    stdout_truncated: bool = Field(..., alias="stdoutTruncated")
    stderr_truncated: bool = Field(..., alias="stderrTruncated")
    wall_ms: float = Field(..., alias="wallMs")
    duration_ms: float = Field(..., alias="durationMs")
    cpu_ms: float | None = Field(..., alias="cpuMs")
    peak_memory_bytes: float | None = Field(..., alias="peakMemoryBytes")
    oom_killed: bool = Field(..., alias="oomKilled")
    host_out_of_memory: bool | None = Field(None, alias="hostOutOfMemory")
    limit_exceeded: LimitExceeded | None = Field(..., alias="limitExceeded")
    leftover_processes_killed: conint(ge=-9007199254740991, le=9007199254740991) = (
        Field(..., alias="leftoverProcessesKilled")
    )
    output_findings: list[Finding] = Field(..., alias="outputFindings")
    output_blocked: bool = Field(..., alias="outputBlocked")
    stdout_ref: StdoutRef | None = Field(None, alias="stdoutRef")
    stderr_ref: StderrRef | None = Field(None, alias="stderrRef")
    expected_stdout_matched: bool | None = Field(None, alias="expectedStdoutMatched")


class Status(Enum):
    succeeded = "succeeded"
    runtime_error = "runtime_error"
    signaled = "signaled"
    time_limit_exceeded = "time_limit_exceeded"
    memory_limit_exceeded = "memory_limit_exceeded"
    output_limit_exceeded = "output_limit_exceeded"
    compile_error = "compile_error"
    wrong_answer = "wrong_answer"
    tests_failed = "tests_failed"
    rejected = "rejected"
    cancelled = "cancelled"
    internal_error = "internal_error"
    host_out_of_memory = "host_out_of_memory"


class CaseResult(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    exit_code: conint(ge=-9007199254740991, le=9007199254740991) | None = Field(
        ..., alias="exitCode"
    )
    signal: str | None
    stdout: str
    stderr: str
    stdout_bytes: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="stdoutBytes"
    )
    stderr_bytes: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="stderrBytes"
    )
    stdout_truncated: bool = Field(..., alias="stdoutTruncated")
    stderr_truncated: bool = Field(..., alias="stderrTruncated")
    wall_ms: float = Field(..., alias="wallMs")
    duration_ms: float = Field(..., alias="durationMs")
    cpu_ms: float | None = Field(..., alias="cpuMs")
    peak_memory_bytes: float | None = Field(..., alias="peakMemoryBytes")
    oom_killed: bool = Field(..., alias="oomKilled")
    host_out_of_memory: bool | None = Field(None, alias="hostOutOfMemory")
    limit_exceeded: LimitExceeded | None = Field(..., alias="limitExceeded")
    leftover_processes_killed: conint(ge=-9007199254740991, le=9007199254740991) = (
        Field(..., alias="leftoverProcessesKilled")
    )
    output_findings: list[Finding] = Field(..., alias="outputFindings")
    output_blocked: bool = Field(..., alias="outputBlocked")
    stdout_ref: StdoutRef | None = Field(None, alias="stdoutRef")
    stderr_ref: StderrRef | None = Field(None, alias="stderrRef")
    expected_stdout_matched: bool | None = Field(..., alias="expectedStdoutMatched")
    index: conint(ge=-9007199254740991, le=9007199254740991)
    status: Status


class Status1(Enum):
    passed = "passed"
    failed = "failed"
    error = "error"
    skipped = "skipped"


class Case1(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    status: Status1
    duration_ms: float | None = Field(..., alias="durationMs")
    message: str | None


class TestReport(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    framework: str
    total: conint(ge=-9007199254740991, le=9007199254740991)
    passed: conint(ge=-9007199254740991, le=9007199254740991)
    failed: conint(ge=-9007199254740991, le=9007199254740991)
    errors: conint(ge=-9007199254740991, le=9007199254740991)
    skipped: conint(ge=-9007199254740991, le=9007199254740991)
    cases: list[Case1]
    problem: str | None


class File3(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    sha256: str
    bytes: conint(ge=-9007199254740991, le=9007199254740991)


class Output(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    sha256: str
    bytes: conint(ge=-9007199254740991, le=9007199254740991)


class Artifact1(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    sha256: str
    bytes: conint(ge=-9007199254740991, le=9007199254740991)


class ScanManifest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    files: list[File3]
    outputs: list[Output]
    artifacts: list[Artifact1]
    artifacts_truncated: bool = Field(..., alias="artifactsTruncated")


class MimeType(Enum):
    image_png = "image/png"
    image_jpeg = "image/jpeg"
    image_svg_xml = "image/svg+xml"
    application_pdf = "application/pdf"
    text_html = "text/html"
    application_json = "application/json"
    text_csv = "text/csv"


class Origin(Enum):
    file = "file"
    figure = "figure"


class Artifact(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    mime_type: MimeType = Field(..., alias="mimeType")
    bytes: conint(ge=0, le=9007199254740991)
    sha256: constr(pattern=r"^[0-9a-f]{64}$")
    origin: Origin
    data: str | None
    withheld: str | None


class ExecutionError(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    type: str
    message: str


class FieldModel(RootModel[constr(pattern=r"^[0-9a-f]{64}$")]):
    root: constr(pattern=r"^[0-9a-f]{64}$")


class Seal(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    version: Literal[1]
    execution_id: str = Field(..., alias="executionId")
    fields: list[tuple[str, FieldModel]]
    key_id: str = Field(..., alias="keyId")
    sealed_at: str = Field(..., alias="sealedAt")
    algorithm: Literal["ed25519"]
    digest: str
    signature: str


class Issue(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    field: str
    message: str


class Error(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    __annotations__ = {
        "__pydantic_extra__": Dict[str, Any],
    }
    code: str
    message: str
    field: str | None = None
    issues: list[Issue] | None = None


class ApiError(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    error: Error


class ExecutionListItem(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    id: str
    status: str
    language: str | None
    policy: str | None
    gate: str | None
    created_at: str | None = Field(..., alias="createdAt")
    closed: bool


class SandboxStatus(Enum):
    starting = "starting"
    ready = "ready"
    busy = "busy"
    closing = "closing"
    closed = "closed"
    lost = "lost"
    failed = "failed"


class StepKind(Enum):
    exec = "exec"
    write_file = "write_file"
    read_file = "read_file"
    delete_file = "delete_file"
    list_files = "list_files"
    make_dir = "make_dir"
    move_path = "move_path"


class Reason(Enum):
    closed = "closed"
    idle_timeout = "idle_timeout"
    max_lifetime = "max_lifetime"
    host_lost = "host_lost"
    container_exited = "container_exited"
    rejected = "rejected"
    provision_failed = "provision_failed"


class SandboxEnd(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    reason: Reason
    message: str
    at: str


class SandboxListItem(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    id: str
    language: str
    policy: str
    status: SandboxStatus
    created_at: str = Field(..., alias="createdAt")


class File4(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    path: str
    bytes: conint(ge=-9007199254740991, le=9007199254740991)
    sha256: str
    content_base64: str | None = Field(None, alias="contentBase64")


class Type(Enum):
    file = "file"
    directory = "directory"
    symlink = "symlink"
    other = "other"


class FileEntry(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    type: Type
    bytes: conint(ge=-9007199254740991, le=9007199254740991)
    modified_at: str = Field(..., alias="modifiedAt")
    mode: conint(ge=-9007199254740991, le=9007199254740991) | None = None
    owner: str | None = None
    group: str | None = None
    symlink_target: str | None = Field(None, alias="symlinkTarget")


class StepError(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    type: str
    message: str


class Status2(Enum):
    building = "building"
    ready = "ready"
    failed = "failed"
    deleted = "deleted"


class Runtime1(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    language: str
    version: str
    image: str


class PipItem1(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    version: str
    sha256: str


class Installed(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    debian: list[str]
    pip: list[PipItem1]


class Log(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    sha256: str
    bytes: conint(ge=-9007199254740991, le=9007199254740991)


class Version(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    version: str
    default: bool
    image: str
    debian: str
    libraries: dict[str, str]


class TestFramework(Enum):
    junit = "junit"
    tap = "tap"
    go_json = "go-json"
    libtest = "libtest"
    minitest = "minitest"


class RuntimeSummary(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: str
    display_name: str = Field(..., alias="displayName")
    version: str
    versions: list[Version]
    extensions: list[str]
    compiled: bool
    test_framework: TestFramework = Field(..., alias="testFramework")


class Runtime2(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    language: constr(pattern=r"^[a-z][a-z0-9+_-]{0,31}$")
    version: constr(pattern=r"^[0-9]+(?:\.[0-9]+){0,2}$") | None = None


class PipItem2(
    RootModel[
        constr(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}==[A-Za-z0-9.+!_-]{1,60}$")
    ]
):
    root: constr(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}==[A-Za-z0-9.+!_-]{1,60}$")


class File5(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    path: constr(max_length=512)
    content: str
    encoding: Encoding
    executable: bool


class TemplateSpecOutput(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    name: constr(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    runtime: Runtime2
    debian: list[DebianItem] = Field(..., max_length=64)
    pip: list[PipItem2] = Field(..., max_length=64)
    files: list[File5] = Field(..., max_length=64)
    env: dict[
        constr(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"), constr(max_length=32768)
    ]
    setup: constr(min_length=1, max_length=16384) | None = None


class GateResult(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    gate: Gate
    verdict: Verdict
    findings: list[Finding]
    tools: list[Tool]
    error: str | None
    note: str | None


class ExecutionList(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    executions: list[ExecutionListItem]
    next_page_token: str | None = Field(
        ..., alias="nextPageToken", description="null on the last page"
    )


class StepSummary(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    step_id: str = Field(..., alias="stepId")
    index: conint(ge=-9007199254740991, le=9007199254740991)
    kind: StepKind
    status: ExecutionStatus
    started_at: str = Field(..., alias="startedAt")
    duration_ms: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="durationMs"
    )


class SandboxList(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    sandboxes: list[SandboxListItem]
    next_page_token: str | None = Field(
        ..., alias="nextPageToken", description="null on the last page"
    )


class StepResult(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    step_id: str = Field(..., alias="stepId")
    sandbox_id: str = Field(..., alias="sandboxId")
    index: conint(ge=-9007199254740991, le=9007199254740991)
    kind: StepKind
    status: ExecutionStatus
    started_at: str = Field(..., alias="startedAt")
    duration_ms: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="durationMs"
    )
    process: ProcessResult | None
    gates: list[GateResult]
    file: File4 | None
    entries: list[FileEntry] | None
    error: StepError | None
    artifacts: list[Artifact] | None = None


class TemplateInfo(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    id: str
    name: str
    tenant: str
    status: Status2
    sha256: str
    spec: TemplateSpecOutput
    runtime: Runtime1
    image: str | None
    size_bytes: conint(ge=-9007199254740991, le=9007199254740991) | None = Field(
        ..., alias="sizeBytes"
    )
    installed: Installed | None
    log: Log | None
    log_tail: str | None = Field(..., alias="logTail")
    error: str | None
    created_at: str = Field(..., alias="createdAt")
    finished_at: str | None = Field(..., alias="finishedAt")


class ExecutionResult(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    id: str
    status: ExecutionStatus
    language: str
    tenant: str
    policy: Policy | None
    host: str | None
    image: ImageRef | None
    created_at: str = Field(..., alias="createdAt")
    finished_at: str | None = Field(..., alias="finishedAt")
    stages: list[Stage]
    gates: list[GateResult]
    approval: Approval | None
    compile: ProcessResult | None
    run: ProcessResult | None
    cases: list[CaseResult] | None
    tests: ProcessResult | None
    test_report: TestReport | None = Field(..., alias="testReport")
    scan: ScanManifest | None
    artifacts: list[Artifact] | None = None
    time_limit: TimeLimit | None = Field(..., alias="timeLimit")
    error: ExecutionError | None
    seal: Seal | None = None


class SandboxInfo(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
    )
    id: str
    tenant: str
    language: str
    policy: str
    status: SandboxStatus
    created_at: str = Field(..., alias="createdAt")
    last_activity_at: str = Field(..., alias="lastActivityAt")
    idle_timeout_seconds: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="idleTimeoutSeconds"
    )
    max_lifetime_seconds: conint(ge=-9007199254740991, le=9007199254740991) = Field(
        ..., alias="maxLifetimeSeconds"
    )
    idle_expires_at: str | None = Field(..., alias="idleExpiresAt")
    expires_at: str = Field(..., alias="expiresAt")
    host: str | None
    image: ImageRef | None
    steps: conint(ge=-9007199254740991, le=9007199254740991)
    recent_steps: list[StepSummary] = Field(..., alias="recentSteps")
    end: SandboxEnd | None
    metadata: dict[str, str] | None = None

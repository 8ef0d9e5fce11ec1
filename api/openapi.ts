/**
 * The API's OpenAPI 3.1 document, built from the same zod schemas the routes parse with
 * (zod-openapi over zod's own JSON Schema). Served at `GET /v1/openapi.json`; docs/openapi.json is
 * this document, checked in CI (api/openapi-file.ts --check), and test/unit/openapi.test.ts holds it
 * to the routes the app serves.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { BatchRequest, ExecutionRequest } from '../lib/schemas/execution-request';
import {
  Approval,
  Artifact,
  CaseResult,
  ExecutionError,
  ExecutionResult,
  ExecutionStatus,
  ImageRef,
  ProcessResult,
  ScanManifest,
  Seal,
  Stage,
  TestReport,
} from '../lib/schemas/execution-result';
import { Finding, GateResult } from '../lib/schemas/findings';
import { DecisionRequest } from '../lib/schemas/approval';
import {
  SandboxCreateRequest,
  SandboxExecRequest,
  FileEntry,
  SandboxEnd,
  SandboxInfo,
  SandboxListItem,
  SandboxMoveRequest,
  SandboxStatus,
  StepError,
  StepKind,
  StepSummary,
  SandboxTimeoutRequest,
  StepResult,
} from '../lib/schemas/sandbox';
import { TemplateInfo, TemplateSpec } from '../lib/schemas/template';
import { RuntimeSummary } from '../lib/schemas/runtime';
import {
  ApiError,
  ApprovalAnswer,
  AuditKeyList,
  BatchAccepted,
  BatchResults,
  ExecutionAccepted,
  ExecutionList,
  ExecutionListItem,
  HealthReport,
  KeyList,
  RuntimeList,
  SandboxFileList,
  SandboxFileWritten,
  SandboxList,
  SandboxPathAnswer,
  StepAccepted,
  StepCancelled,
  TemplateList,
} from '../lib/schemas/api';
import { ExecutionListQuery, ExecutionWaitQuery } from './routes/executions';
import {
  SandboxDeleteQuery,
  SandboxExecQuery,
  SandboxListFilesQuery,
  SandboxListQuery,
  SandboxPathQuery,
} from './routes/sandboxes';
import { TemplateListQuery } from './routes/templates';

const VERSION = '1.0.0';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  '400': json(ApiError, 'the request is malformed: the body names the field and the reason'),
  '401': json(ApiError, 'no key, or one that is unknown or revoked'),
  '403': json(ApiError, "the key's scope or policies do not allow it"),
  '404': json(ApiError, "not found, or another tenant's"),
  '429': json(ApiError, 'over the rate or a quota; Retry-After says when to come back'),
};
const id = z.object({ id: z.string() });
const stepPath = z.object({ id: z.string(), stepId: z.string() });
const idempotencyKey = z.object({ 'Idempotency-Key': z.string().optional() });
const sse = { description: 'Server-Sent Events until the `end` event', content: { 'text/event-stream': {} } };
const bytes = (description: string) => ({ description, content: { 'application/octet-stream': {} } });

function op(
  summary: string,
  tag: string,
  responses: ZodOpenApiOperationObject['responses'],
  extra: Partial<ZodOpenApiOperationObject> = {},
): ZodOpenApiOperationObject {
  return { summary, tags: [tag], responses: { ...responses, ...errors }, ...extra };
}
const body = (schema: z.ZodType) => ({ requestBody: { required: true, content: { 'application/json': { schema } } } });

const paths: ZodOpenApiPathsObject = {
  '/v1/executions': {
    post: op(
      'Run code through the pipeline; answers the result, or 202 if it has not finished within the wait',
      'executions',
      {
        '200': json(ExecutionResult, 'the finished execution'),
        '202': json(ExecutionAccepted, 'accepted, still running'),
      },
      { ...body(ExecutionRequest), requestParams: { query: ExecutionWaitQuery, header: idempotencyKey } },
    ),
    get: op(
      'List the tenant executions',
      'executions',
      { '200': json(ExecutionList, 'a page') },
      {
        requestParams: { query: ExecutionListQuery },
      },
    ),
  },
  '/v1/executions/batch': {
    post: op(
      'Run many executions at once',
      'executions',
      { '200': json(BatchResults, 'every result'), '202': json(BatchAccepted, 'accepted, still running') },
      { ...body(BatchRequest), requestParams: { query: ExecutionWaitQuery, header: idempotencyKey } },
    ),
  },
  '/v1/executions/{id}': {
    get: op(
      'One execution',
      'executions',
      { '200': json(ExecutionResult, 'its record') },
      { requestParams: { path: id } },
    ),
  },
  '/v1/executions/{id}/approve': {
    post: op(
      'Approve an execution waiting for a reviewer',
      'approvals',
      { '200': json(ApprovalAnswer, 'decided') },
      {
        ...body(DecisionRequest),
        requestParams: { path: id },
      },
    ),
  },
  '/v1/executions/{id}/reject': {
    post: op(
      'Reject an execution waiting for a reviewer',
      'approvals',
      { '200': json(ApprovalAnswer, 'decided') },
      {
        ...body(DecisionRequest),
        requestParams: { path: id },
      },
    ),
  },
  '/v1/executions/{id}/cancel': {
    post: op(
      'Cancel a running execution',
      'executions',
      { '202': json(ExecutionAccepted, 'cancelling') },
      {
        requestParams: { path: id },
      },
    ),
  },
  '/v1/executions/{id}/events': {
    get: op('Live output and stages', 'executions', { '200': sse }, { requestParams: { path: id } }),
  },
  '/v1/executions/{id}/sarif': {
    get: op(
      'The findings as SARIF 2.1.0',
      'reports',
      { '200': { description: 'SARIF', content: { 'application/sarif+json': {} } } },
      {
        requestParams: { path: id },
      },
    ),
  },
  '/v1/executions/{id}/junit': {
    get: op(
      'The tests as JUnit XML',
      'reports',
      { '200': { description: 'JUnit XML', content: { 'application/xml': {} } } },
      {
        requestParams: { path: id },
      },
    ),
  },
  '/v1/executions/{id}/history': {
    get: op(
      'The workflow history, for `airlock audit` and replay',
      'audit',
      { '200': { description: 'Temporal history JSON', content: { 'application/json': {} } } },
      {
        requestParams: { path: id },
      },
    ),
  },
  '/v1/executions/{id}/outputs/{stage}/{stream}': {
    get: op(
      'A stage stream stored whole',
      'executions',
      { '200': { description: 'the text', content: { 'text/plain': {} } } },
      {
        requestParams: { path: z.object({ id: z.string(), stage: z.string(), stream: z.enum(['stdout', 'stderr']) }) },
      },
    ),
  },
  '/v1/executions/{id}/artifacts/{sha256}': {
    get: op(
      'One artifact the run wrote',
      'executions',
      { '200': bytes('its bytes, with its MIME type') },
      {
        requestParams: { path: z.object({ id: z.string(), sha256: z.string() }) },
      },
    ),
  },
  '/v1/sandboxes': {
    post: op(
      'Make a sandbox',
      'sandboxes',
      { '201': json(SandboxInfo, 'ready, or failed with the reason') },
      {
        ...body(SandboxCreateRequest),
        requestParams: { header: idempotencyKey },
      },
    ),
    get: op(
      'List the tenant sandboxes',
      'sandboxes',
      { '200': json(SandboxList, 'a page') },
      {
        requestParams: { query: SandboxListQuery },
      },
    ),
  },
  '/v1/sandboxes/{id}': {
    get: op('One sandbox', 'sandboxes', { '200': json(SandboxInfo, 'its state') }, { requestParams: { path: id } }),
    delete: op(
      'Close a sandbox',
      'sandboxes',
      { '200': json(SandboxInfo, 'its final state') },
      { requestParams: { path: id } },
    ),
  },
  '/v1/sandboxes/{id}/timeout': {
    post: op(
      'A new idle timeout, counted from now',
      'sandboxes',
      { '200': json(SandboxInfo, 'its state') },
      {
        ...body(SandboxTimeoutRequest),
        requestParams: { path: id },
      },
    ),
  },
  '/v1/sandboxes/{id}/exec': {
    post: op(
      'Run a step',
      'sandboxes',
      { '200': json(StepResult, 'the step'), '202': json(StepAccepted, 'accepted (wait=false)') },
      {
        ...body(SandboxExecRequest),
        requestParams: { path: id, query: SandboxExecQuery, header: idempotencyKey },
      },
    ),
  },
  '/v1/sandboxes/{id}/steps/{stepId}/cancel': {
    post: op(
      'Cancel a running or waiting step (a running process is killed)',
      'sandboxes',
      { '200': json(StepCancelled, 'cancelled: its result says cancelled, StepCancelled') },
      { requestParams: { path: stepPath } },
    ),
  },
  '/v1/sandboxes/{id}/steps/{stepId}/events': {
    get: op('A step live output', 'sandboxes', { '200': sse }, { requestParams: { path: stepPath } }),
  },
  '/v1/sandboxes/{id}/steps/{stepId}/artifacts/{sha256}': {
    get: op(
      'One artifact a step wrote',
      'sandboxes',
      { '200': bytes('its bytes') },
      {
        requestParams: { path: z.object({ id: z.string(), stepId: z.string(), sha256: z.string() }) },
      },
    ),
  },
  '/v1/sandboxes/{id}/files': {
    put: op(
      'Write a file (the body is its bytes)',
      'sandboxes',
      { '200': json(SandboxFileWritten, 'written') },
      {
        requestParams: { path: id, query: SandboxPathQuery },
        requestBody: { required: true, content: { 'application/octet-stream': {} } },
      },
    ),
    get: op(
      'Read a file',
      'sandboxes',
      { '200': bytes('its bytes') },
      { requestParams: { path: id, query: SandboxPathQuery } },
    ),
    delete: op(
      'Remove a file, or a directory with recursive=true',
      'sandboxes',
      { '204': { description: 'removed' } },
      {
        requestParams: { path: id, query: SandboxDeleteQuery },
      },
    ),
  },
  '/v1/sandboxes/{id}/files/list': {
    get: op(
      'List a directory',
      'sandboxes',
      { '200': json(SandboxFileList, 'its entries') },
      {
        requestParams: { path: id, query: SandboxListFilesQuery },
      },
    ),
  },
  '/v1/sandboxes/{id}/files/directories': {
    post: op(
      'Make a directory and its parents',
      'sandboxes',
      { '201': json(SandboxPathAnswer, 'made') },
      {
        requestParams: { path: id, query: SandboxPathQuery },
      },
    ),
  },
  '/v1/sandboxes/{id}/files/move': {
    post: op(
      'Rename a file or directory',
      'sandboxes',
      { '200': json(SandboxPathAnswer, 'its new path') },
      {
        ...body(SandboxMoveRequest),
        requestParams: { path: id },
      },
    ),
  },
  '/v1/templates': {
    post: op(
      'Build a template',
      'templates',
      { '202': json(TemplateInfo, 'building'), '200': json(TemplateInfo, 'built before') },
      {
        ...body(TemplateSpec),
      },
    ),
    get: op(
      'List the tenant templates',
      'templates',
      { '200': json(TemplateList, 'a page') },
      {
        requestParams: { query: TemplateListQuery },
      },
    ),
  },
  '/v1/templates/{id}': {
    get: op('One template', 'templates', { '200': json(TemplateInfo, 'its state') }, { requestParams: { path: id } }),
    delete: op(
      'Delete a template',
      'templates',
      { '200': json(TemplateInfo, 'deleted') },
      { requestParams: { path: id } },
    ),
  },
  '/v1/templates/{id}/events': {
    get: op('The build, live', 'templates', { '200': sse }, { requestParams: { path: id } }),
  },
  '/v1/templates/{id}/log': {
    get: op(
      'The whole build log',
      'templates',
      { '200': { description: 'the log', content: { 'text/plain': {} } } },
      {
        requestParams: { path: id },
      },
    ),
  },
  '/v1/runtimes': {
    get: op('The runtimes and their versions', 'runtimes', { '200': json(RuntimeList, 'every language') }),
  },
  '/v1/audit/keys': { get: op('The public audit signing keys', 'audit', { '200': json(AuditKeyList, 'the keys') }) },
  '/v1/keys': { get: op('The tenant keys (admin)', 'keys', { '200': json(KeyList, 'never a key or its hash') }) },
  '/v1/keys/{id}/revoke': {
    post: op(
      'Revoke a key (admin)',
      'keys',
      { '200': json(z.object({ id: z.string(), revoked: z.boolean(), self: z.boolean() }), 'revoked') },
      {
        requestParams: { path: id },
      },
    ),
  },
  '/v1/health': {
    get: op('What each check found (admin)', 'operations', {
      '200': json(HealthReport, 'healthy'),
      '503': json(HealthReport, 'not'),
    }),
  },
  '/v1/codec/encode': {
    post: op(
      'Encrypt payloads for the Temporal UI (codec scope)',
      'operations',
      { '200': json(z.object({ payloads: z.array(z.unknown()) }), 'payloads') },
      {
        ...body(z.object({ payloads: z.array(z.unknown()) })),
      },
    ),
  },
  '/v1/codec/decode': {
    post: op(
      'Decrypt payloads for the Temporal UI (codec scope)',
      'operations',
      { '200': json(z.object({ payloads: z.array(z.unknown()) }), 'payloads') },
      {
        ...body(z.object({ payloads: z.array(z.unknown()) })),
      },
    ),
  },
  '/v1/openapi.json': {
    get: {
      summary: 'This document',
      tags: ['meta'],
      security: [],
      responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
    },
  },
};

/**
 * The records the API answers with, named as components so generated clients (sdk-python) get
 * these names. Registered on the schemas themselves (no copy), so every use of one is a `$ref`.
 */
const NAMED_RESPONSES = {
  ExecutionResult,
  ExecutionStatus,
  ExecutionError,
  ExecutionList,
  ExecutionListItem,
  Stage,
  ProcessResult,
  CaseResult,
  TestReport,
  ScanManifest,
  Artifact,
  ImageRef,
  Approval,
  Seal,
  GateResult,
  Finding,
  SandboxInfo,
  SandboxStatus,
  SandboxEnd,
  SandboxList,
  SandboxListItem,
  StepResult,
  StepKind,
  StepSummary,
  StepError,
  FileEntry,
  TemplateInfo,
  RuntimeSummary,
};
for (const [id, schema] of Object.entries(NAMED_RESPONSES)) {
  if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
}

let built: ReturnType<typeof createDocument> | undefined;

/** The document, built once per process. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  built ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Airlock API',
      version: VERSION,
      description:
        'Durable, hardened execution of untrusted code. docs/api.md explains each route; the E2B-compatible surface is in docs/e2b.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an Airlock API key' } },
      schemas: { ExecutionRequest, TemplateSpec },
    },
    paths,
  });
  return built;
}

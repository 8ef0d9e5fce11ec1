import type { PublicAuditKey } from '../../lib/schemas/audit';
import type { HttpClient, RequestOptions } from './http';
import { expectObject } from './validation';

/** `airlock.audit`: what an auditor needs to check a sealed record away from the service. */
export class Audit {
  constructor(private readonly http: HttpClient) {}

  /**
   * The deployment's public signing keys (`GET /v1/audit/keys`): the active one and the retired ones
   * that older seals name. An execution's record is `executions.handle(id).report('history')`.
   */
  async keys(options: RequestOptions = {}): Promise<PublicAuditKey[]> {
    const res = await this.http.request<unknown>({ method: 'GET', path: '/v1/audit/keys', ...options });
    return expectObject<{ keys?: PublicAuditKey[] }>(res.data, 'GET /v1/audit/keys').keys ?? [];
  }
}

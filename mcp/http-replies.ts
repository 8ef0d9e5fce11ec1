import type { Response } from 'express';

export function unauthenticated(res: Response, message: string, error?: string): void {
  res.set('WWW-Authenticate', `Bearer realm="airlock"${error ? `, error="${error}"` : ''}`);
  res.status(401).json({ error: { code: 'unauthenticated', message } });
}

export function rpcError(res: Response, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

import type { z } from 'zod';

export interface FieldIssue {
  field: string;
  message: string;
}

/** zod issues as `field: reason` pairs, with nested issues (record keys, unions) brought up to their field. */
export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)';
    const nested = (issue as { issues?: z.core.$ZodIssue[] }).issues;
    const message = issue.code === 'invalid_key' && nested?.[0] ? nested[0].message : issue.message;
    return { field, message };
  });
}

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Keyword attributes only: SQL visibility (the dev server's SQLite) allows ten per namespace.
export const TENANT = defineSearchAttributeKey('AirlockTenant', SearchAttributeType.KEYWORD);
export const STATUS = defineSearchAttributeKey('AirlockStatus', SearchAttributeType.KEYWORD);
export const LANGUAGE = defineSearchAttributeKey('AirlockLanguage', SearchAttributeType.KEYWORD);
export const HOST = defineSearchAttributeKey('AirlockHost', SearchAttributeType.KEYWORD);
export const POLICY = defineSearchAttributeKey('AirlockPolicy', SearchAttributeType.KEYWORD);
/** The worst pre-run gate verdict: pass, warn or block. */
export const GATE = defineSearchAttributeKey('AirlockGate', SearchAttributeType.KEYWORD);

/** The template an execution or sandbox runs (its id), and a template workflow's own. */
export const TEMPLATE = defineSearchAttributeKey('AirlockTemplate', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [TENANT, STATUS, LANGUAGE, HOST, POLICY, GATE, TEMPLATE];

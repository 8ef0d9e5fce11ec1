import type { Request } from 'express';

/** What a router layer holds: a route's template, or a mounted router and the path it is mounted at. */
interface RouterLayer {
  route?: { path?: unknown };
  rawPath?: unknown;
  handle?: { stack?: unknown };
}

/**
 * The field of a path parameter that is not valid percent-encoding, as `path.<name>`: the router
 * refuses it before any route runs and does not say which, so it is found again here, as the first
 * segment that does not decode, and named from the templates of the app's routes that fit the path.
 */
export function undecodableParameterField(req: Request): string {
  const segments = req.path.split('/');
  const index = segments.findIndex((segment) => !decodes(segment));
  for (const template of routeTemplates(req.app.router.stack as RouterLayer[])) {
    const parts = template.split('/');
    const fits =
      parts.length === segments.length &&
      parts.every((part, i) => part.startsWith(':') || (i !== index && part === segments[i]));
    if (fits && parts[index]?.startsWith(':')) return `path.${parts[index].slice(1)}`;
  }
  return 'path';
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/** Every route's full template (`/v1/executions/:id/events`), through the routers mounted on the app. */
function routeTemplates(stack: RouterLayer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (typeof layer.route?.path === 'string') return [prefix + layer.route.path];
    const nested = layer.handle?.stack;
    return Array.isArray(nested) && typeof layer.rawPath === 'string'
      ? routeTemplates(nested as RouterLayer[], prefix + layer.rawPath)
      : [];
  });
}

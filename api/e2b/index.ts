/** The E2B-compatible surface (docs/e2b.md): the control plane and the sandbox plane on one router. */
import { Router } from 'express';
import { e2bControlPlane, type E2bControlDeps } from './control-plane';
import { e2bSandboxPlane } from './sandbox-plane';

export function e2bRoutes(deps: E2bControlDeps): Router {
  const router = Router();
  // The sandbox plane first: its paths (/files, /health, /process.Process/...) are not the control plane's.
  router.use(e2bSandboxPlane(deps));
  router.use(e2bControlPlane(deps));
  return router;
}

import fs from 'node:fs';
import path from 'node:path';
import { loadSeccompProfiles } from '../../lib/node/seccomp';

/**
 * "At least as strict as Docker's default": every syscall call (name and arguments) that one of our
 * profiles lets through, Docker's default profile lets through as well, on each host architecture
 * the profile targets. The defaults are unmodified copies, see test/fixtures/docker-seccomp/README.md.
 */

interface Condition {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** A rule in Docker's profile format; `includes`/`excludes` make it apply only to some hosts and containers. */
interface Rule {
  names: string[];
  action: string;
  args?: Condition[] | null;
  includes?: { arches?: string[] | null; caps?: string[] | null; minKernel?: string | null };
  excludes?: { arches?: string[] | null; caps?: string[] | null };
}

interface Profile {
  defaultAction: string;
  archMap: Array<{ architecture: string; subArchitectures: string[] | null }>;
  syscalls: Rule[];
}

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'docker-seccomp');
const readProfile = (file: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Profile;
/** The current upstream default (moby/profiles seccomp v0.2.3). */
const upstreamDefault = readProfile('moby-profiles-seccomp-v0.2.3-default.json');
/** The older default compiled into the engine scripts/lib.sh installs (Debian's docker.io 20.10.24). */
const engineDefault = readProfile('docker-20.10.24-default.json');

const ours = new Map(
  [...loadSeccompProfiles()].map(([name, loaded]) => [name, JSON.parse(loaded.json) as Profile] as const),
);

/** Actions that let the call through: LOG runs it too, it only writes an audit record. */
const LETS_THROUGH = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);
const DENIES = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP']);

/** Docker resolves `includes.arches` against the engine's own GOARCH, so a profile is judged per host. */
const HOST_ARCH: Record<string, string> = { SCMP_ARCH_X86_64: 'amd64', SCMP_ARCH_AARCH64: 'arm64' };

function hostArches(profile: Profile): string[] {
  return profile.archMap.map(({ architecture }) => {
    const arch = HOST_ARCH[architecture];
    if (!arch) throw new Error(`no host architecture known for ${architecture}: teach HOST_ARCH`);
    return arch;
  });
}

/**
 * The rules of Docker's default that let calls through in one of our sandboxes on a host of `arch`.
 * Our containers drop every capability, so rules that need one do not apply, and exclusions by
 * capability never trigger. Rules gated on a kernel version (ptrace and process_vm_* from 4.8) are
 * left out: that only makes the default look stricter than it is, so it cannot make a looser
 * profile of ours pass.
 */
function rulesLettingThrough(profile: Profile, arch: string): Rule[] {
  return profile.syscalls.filter(
    (rule) =>
      LETS_THROUGH.has(rule.action) &&
      !rule.includes?.caps?.length &&
      !rule.includes?.minKernel &&
      (!rule.includes?.arches?.length || rule.includes.arches.includes(arch)) &&
      !rule.excludes?.arches?.includes(arch),
  );
}

/** Whether argument `value` meets `condition` (seccomp compares 64-bit unsigned values). */
function meets(condition: Condition, value: bigint): boolean {
  const operand = BigInt(condition.value);
  switch (condition.op) {
    case 'SCMP_CMP_EQ':
      return value === operand;
    case 'SCMP_CMP_NE':
      return value !== operand;
    case 'SCMP_CMP_LT':
      return value < operand;
    case 'SCMP_CMP_LE':
      return value <= operand;
    case 'SCMP_CMP_GT':
      return value > operand;
    case 'SCMP_CMP_GE':
      return value >= operand;
    case 'SCMP_CMP_MASKED_EQ':
      return (value & operand) === BigInt(condition.valueTwo ?? 0);
    default:
      throw new Error(`unknown comparison ${condition.op}`);
  }
}

/**
 * Whether every argument that meets `ours` also meets `theirs`. Decided for the two shapes our
 * profiles use, the same condition and equality to one value; anything else counts as not implied,
 * so a new shape fails here until this learns it, rather than passing unchecked.
 */
function implies(ours: Condition, theirs: Condition): boolean {
  if (ours.index !== theirs.index) return false;
  const same = ours.op === theirs.op && ours.value === theirs.value && (ours.valueTwo ?? 0) === (theirs.valueTwo ?? 0);
  return same || (ours.op === 'SCMP_CMP_EQ' && meets(theirs, BigInt(ours.value)));
}

/** A rule's conditions all hold together: `theirs` covers `ours` when each of its conditions follows from one of ours. */
function covers(theirs: Rule, ours: Rule): boolean {
  return (theirs.args ?? []).every((condition) => (ours.args ?? []).some((mine) => implies(mine, condition)));
}

/** What `profile` lets through that `reference` does not, as "arch name [conditions]". */
function looserThan(profile: Profile, reference: Profile): string[] {
  const looser: string[] = [];
  for (const arch of hostArches(profile)) {
    const theirs = rulesLettingThrough(reference, arch);
    for (const rule of profile.syscalls.filter((r) => LETS_THROUGH.has(r.action))) {
      for (const name of rule.names) {
        if (!theirs.some((t) => t.names.includes(name) && covers(t, rule))) {
          looser.push([arch, name, ...(rule.args?.length ? [JSON.stringify(rule.args)] : [])].join(' '));
        }
      }
    }
  }
  return looser;
}

/**
 * arch_prctl is x86's own call: arm64 has no such syscall, so libseccomp cannot resolve the name
 * there and runc skips the rule. Letting it through on arm64 lets nothing through.
 */
const NO_SUCH_SYSCALL = ['arm64 arch_prctl'];

const strict = ours.get('strict')!;

describe("seccomp profiles are at least as strict as Docker's default", () => {
  test('the comparison catches a looser profile: a syscall, a socket family or clone flags the default refuses', () => {
    const loosened: Profile = {
      ...strict,
      syscalls: [
        ...strict.syscalls,
        { names: ['unshare'], action: 'SCMP_ACT_ALLOW' },
        { names: ['keyctl'], action: 'SCMP_ACT_LOG' },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 38, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_GE' }] },
        { names: ['mount'], action: 'SCMP_ACT_ERRNO' },
      ],
    };
    expect(looserThan(loosened, upstreamDefault).filter((l) => l.startsWith('amd64'))).toEqual([
      'amd64 unshare',
      'amd64 keyctl',
      'amd64 socket [{"index":0,"value":38,"op":"SCMP_CMP_EQ"}]',
      'amd64 clone [{"index":0,"value":0,"op":"SCMP_CMP_GE"}]',
    ]);
  });

  test('strict.json is there, and both defaults are the deny-by-default allowlists they should be', () => {
    expect(strict).toBeDefined();
    for (const reference of [upstreamDefault, engineDefault]) {
      expect(reference.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(reference.syscalls.length).toBeGreaterThan(20);
    }
  });

  test.each([...ours.keys()])('%s denies by default and maps no ABI the default does not', (name) => {
    const profile = ours.get(name)!;
    expect(DENIES.has(profile.defaultAction)).toBe(true);
    for (const { architecture, subArchitectures } of profile.archMap) {
      const theirs = upstreamDefault.archMap.find((a) => a.architecture === architecture);
      expect([architecture, theirs !== undefined]).toEqual([architecture, true]);
      for (const sub of subArchitectures ?? []) expect(theirs!.subArchitectures).toContain(sub);
    }
  });

  test.each([...ours.keys()])(
    '%s lets through nothing the current Docker default (moby/profiles seccomp v0.2.3) refuses',
    (name) => {
      expect(looserThan(ours.get(name)!, upstreamDefault).filter((l) => !NO_SUCH_SYSCALL.includes(l))).toEqual([]);
    },
  );

  test('against the older default of the engine we install (20.10.24), strict.json adds only calls Docker allowed later', () => {
    const extras = looserThan(strict, engineDefault).filter((l) => !NO_SUCH_SYSCALL.includes(l));
    // Syscalls that 20.10.24's profile predates or had not yet added: memory protection keys (added to
    // Docker's default in 2022), and those of kernels 6.5-6.7 (added in 2024). The current default above
    // lets each of them through, which the last line checks rather than takes on trust.
    const later = [
      'cachestat',
      'fchmodat2',
      'futex_requeue',
      'futex_wait',
      'futex_wake',
      'map_shadow_stack',
      'pkey_alloc',
      'pkey_free',
      'pkey_mprotect',
    ];
    expect(extras.sort()).toEqual(['amd64', 'arm64'].flatMap((arch) => later.map((n) => `${arch} ${n}`)));
    const laterProfile: Profile = { ...strict, syscalls: [{ names: later, action: 'SCMP_ACT_ALLOW' }] };
    expect(looserThan(laterProfile, upstreamDefault)).toEqual([]);
  });
});

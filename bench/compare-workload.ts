/**
 * The comparison's workload: small Python functions, each followed by its own assertions, generated
 * deterministically from their index. The expected values come from a TypeScript implementation of
 * the same function, so an item passes only when Python and TypeScript agree.
 */

/** One program: a function, its assertions, and the line it prints once they all hold. */
export interface WorkItem {
  name: string;
  code: string;
  expectedStdout: string;
}

type PyValue = number | boolean | string | PyValue[];

/** A Python literal for a value the TypeScript reference computed. */
function py(value: PyValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  return String(value);
}

/** A function's source, and the calls its assertions make with the values they expect. */
interface Spec {
  kind: string;
  source: string[];
  cases: Array<[args: PyValue[], expected: PyValue]>;
}

const WORDS = ['sandbox', 'temporal', 'workflow', 'container', 'policy', 'gate', 'queue', 'audit'];

function word(n: number): string {
  return WORDS[n % WORDS.length]!;
}

/** Deterministic small integers (a linear congruential generator, exact in doubles), so lists differ per item. */
function numbers(seed: number, count: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 75 + 74) % 65537;
    out.push(x % 20);
  }
  return out;
}

const SPECS: Array<(i: number, p: number) => Spec> = [
  (i, p) => {
    const a = p + 2;
    const b = ((i * 3) % 17) - 8;
    return {
      kind: 'affine',
      source: ['def f(x):', `    return ${a} * x + (${b})`],
      cases: [0, 1, -3, 10].map((x) => [[x], a * x + b]),
    };
  },
  (_i, p) => {
    const m = 3 + (p % 5);
    const limit = 50 + 10 * p;
    const sum = (n: number) => Array.from({ length: n }, (_, x) => x).reduce((s, x) => s + (x % m === 0 ? x : 0), 0);
    return {
      kind: 'multiples',
      source: ['def f(limit):', `    return sum(x for x in range(limit) if x % ${m} == 0)`],
      cases: [1, limit, limit + 7].map((n) => [[n], sum(n)]),
    };
  },
  (_i, p) => {
    const m = 97 + 10 * p;
    const fib = (k: number) => {
      let [a, b] = [0, 1];
      for (let j = 0; j < k; j++) [a, b] = [b, (a + b) % m];
      return a;
    };
    return {
      kind: 'fibonacci',
      source: [
        'def f(k):',
        '    a, b = 0, 1',
        '    for _ in range(k):',
        `        a, b = b, (a + b) % ${m}`,
        '    return a',
      ],
      cases: [0, 1, 10, 25 + p].map((k) => [[k], fib(k)]),
    };
  },
  (_i, p) => {
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    const pairs: Array<[number, number]> = [
      [12 * (p + 1), 18 * (p + 2)],
      [p + 7, 13],
      [0, p + 5],
    ];
    return {
      kind: 'gcd',
      source: ['def f(a, b):', '    while b:', '        a, b = b, a % b', '    return a'],
      cases: pairs.map(([a, b]) => [[a, b], gcd(a, b)]),
    };
  },
  (_i, p) => {
    const vowels = (s: string) => [...s.toLowerCase()].filter((c) => 'aeiou'.includes(c)).length;
    const inputs = [word(p), `${word(p + 1).toUpperCase()} ${word(p + 3)}`, ''];
    return {
      kind: 'vowels',
      source: ['def f(s):', "    return sum(1 for c in s.lower() if c in 'aeiou')"],
      cases: inputs.map((s) => [[s], vowels(s)]),
    };
  },
  (i, p) => {
    const isPrime = (n: number) => {
      if (n < 2) return false;
      for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
      return true;
    };
    return {
      kind: 'prime',
      source: [
        'def f(n):',
        '    if n < 2:',
        '        return False',
        '    d = 2',
        '    while d * d <= n:',
        '        if n % d == 0:',
        '            return False',
        '        d += 1',
        '    return True',
      ],
      cases: [1, p + 2, p + 3, 97, 91 + i].map((n) => [[n], isPrime(n)]),
    };
  },
  (i, p) => {
    const base = 2 + (p % 9);
    const digitSum = (n: number) => {
      let s = 0;
      for (; n > 0; n = Math.floor(n / base)) s += n % base;
      return s;
    };
    return {
      kind: 'digitsum',
      source: [
        'def f(n):',
        '    s = 0',
        '    while n:',
        `        s += n % ${base}`,
        `        n //= ${base}`,
        '    return s',
      ],
      cases: [0, 7 * i + 1, 1000 + p].map((n) => [[n], digitSum(n)]),
    };
  },
  (_i, p) => {
    const phrases = [`${word(p)} ${word(p + 2)} ${word(p + 5)}`, word(p + 1), ''];
    return {
      kind: 'reverse',
      source: ['def f(s):', "    return ' '.join(reversed(s.split()))"],
      cases: phrases.map((s) => [[s], s.split(' ').filter(Boolean).reverse().join(' ')]),
    };
  },
  (_i, p) => {
    const steps = (n: number) => {
      let count = 0;
      for (; n !== 1; count++) n = n % 2 === 0 ? n / 2 : 3 * n + 1;
      return count;
    };
    return {
      kind: 'collatz',
      source: [
        'def f(n):',
        '    steps = 0',
        '    while n != 1:',
        '        n = n // 2 if n % 2 == 0 else 3 * n + 1',
        '        steps += 1',
        '    return steps',
      ],
      cases: [1, 6 + p, 27].map((n) => [[n], steps(n)]),
    };
  },
  (i, p) => {
    const lists = [numbers(i + 1, 8 + p), numbers(i + 1000, 3), []];
    return {
      kind: 'unique',
      source: ['def f(xs):', '    return sorted(set(xs))'],
      cases: lists.map((xs) => [[xs], [...new Set(xs)].sort((a, b) => a - b)]),
    };
  },
];

function program(name: string, spec: Spec): string {
  // The assertion's message is the actual value, so a failure shows what Python computed.
  const asserts = spec.cases.map(([args, expected]) => {
    const call = `f(${args.map(py).join(', ')})`;
    return `assert ${call} == ${py(expected)}, ${call}`;
  });
  return [...spec.source, '', '', ...asserts, `print("PASS ${name}")`, ''].join('\n');
}

/** `count` programs; the same count always gives the same programs. */
export function workload(count: number): WorkItem[] {
  return Array.from({ length: count }, (_, i) => {
    const spec = SPECS[i % SPECS.length]!(i, Math.floor(i / SPECS.length));
    const name = `${spec.kind}_${String(i).padStart(3, '0')}`;
    return { name, code: program(name, spec), expectedStdout: `PASS ${name}\n` };
  });
}

import { TestCluster } from '../support/cluster';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

const squares = `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n;
  if (scanf("%ld", &n) != 1) return 2;
  if (n < 0) abort();
  if (n == 99) sleep(30);
  printf("%ld\\n", n * n);
  return 0;
}`;

describe('judging', () => {
  test('compile once, run many: a verdict per case, each in a fresh process', async () => {
    const result = await cluster.run({
      language: 'c',
      code: squares,
      limits: { timeoutMs: 1_000 },
      cases: [
        { stdin: '3\n', expectedStdout: '9\n' },
        { stdin: '4', expectedStdout: '17' },
        { stdin: '-1' },
        { stdin: '99\n', expectedStdout: '9801\n' },
        { stdin: '12\n', expectedStdout: '144' },
      ],
    });
    expect(result.stages.filter((s) => s.name === 'compile').map((s) => s.outcome)).toEqual(['succeeded']);
    expect(result.cases?.map((c) => [c.index, c.status, c.expectedStdoutMatched])).toEqual([
      [0, 'succeeded', true],
      [1, 'wrong_answer', false],
      [2, 'signaled', null],
      [3, 'time_limit_exceeded', false],
      [4, 'succeeded', true],
    ]);
    expect(result.cases?.[0]).toMatchObject({ stdout: '9\n', exitCode: 0 });
    expect(result.cases?.[2]?.signal).toBe('SIGABRT');
    // The first case that failed decides, and the run stage says how many passed.
    expect(result.status).toBe('wrong_answer');
    expect(result.stages.find((s) => s.name === 'run')?.detail).toBe('2/5 cases passed');
    expect(result.run).toBeNull();
  });

  test('cases in an interpreted language, with per-case args', async () => {
    const result = await cluster.run({
      language: 'python',
      code: 'import sys\nprint(int(sys.stdin.read()) + int(sys.argv[1]))',
      cases: [
        { stdin: '1', args: ['1'], expectedStdout: '2' },
        { stdin: '5', args: ['10'], expectedStdout: '15\n' },
      ],
    });
    expect(result.status).toBe('succeeded');
    expect(result.cases?.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
  });

  test('tests alone: no entrypoint, no run stage', async () => {
    const result = await cluster.run({
      language: 'python',
      files: [{ path: 'calc.py', content: 'def double(x):\n    return 2 * x\n' }],
      tests: {
        files: [
          {
            path: 'test_calc.py',
            content: 'from calc import double\n\ndef test_double():\n    assert double(4) == 8\n',
          },
        ],
      },
    });
    expect(result.status).toBe('succeeded');
    expect(result.stages.find((s) => s.name === 'run')?.outcome).toBe('skipped');
    expect(result.testReport).toMatchObject({ total: 1, passed: 1 });
  });

  test('tests alone in Java still compile first', async () => {
    const result = await cluster.run({
      language: 'java',
      files: [{ path: 'Calc.java', content: 'class Calc {\n  static int twice(int x) { return 2 * x; }\n}\n' }],
      tests: {
        files: [
          {
            path: 'CalcTest.java',
            content:
              'import org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.assertEquals;\n\n' +
              'class CalcTest {\n  @Test void twice() { assertEquals(8, Calc.twice(4)); }\n}\n',
          },
        ],
      },
    });
    expect(result.status).toBe('succeeded');
    expect(result.stages.find((s) => s.name === 'compile')?.outcome).toBe('succeeded');
    expect(result.testReport).toMatchObject({ total: 1, passed: 1 });
  });

  test('a custom test command with the runtime report still yields per-test results', async () => {
    const result = await cluster.run({
      language: 'python',
      code: 'X = 1\n',
      tests: {
        command: 'python3 -m pytest -q -k "keep" --junitxml=/workspace/.airlock/reports/junit.xml',
        files: [
          { path: 'test_x.py', content: 'def test_keep():\n    pass\n\ndef test_dropped():\n    assert False\n' },
        ],
      },
    });
    expect(result.status).toBe('succeeded');
    expect(result.testReport?.cases.map((c) => c.name)).toEqual(['test_x.test_keep']);
  });

  test('the compile stage gets more memory than the run, then the container drops to the run limit', async () => {
    const result = await cluster.run({
      language: 'rust',
      // Every byte written and pages read back volatile: rustc 1.85's -O elides an allocation only measured.
      code: [
        'fn main() {',
        '    let n = 200 << 20;',
        '    let mut v: Vec<u8> = Vec::with_capacity(n);',
        '    for i in 0..n {',
        '        v.push((i % 251) as u8);',
        '    }',
        '    let mut s: u64 = 0;',
        '    for i in (0..n).step_by(4096) {',
        '        s += unsafe { std::ptr::read_volatile(&v[i]) } as u64;',
        '    }',
        '    println!("{}", s);',
        '}',
      ].join('\n'),
      limits: { memoryMb: 128 },
    });
    expect(result.stages.find((s) => s.name === 'compile')?.outcome).toBe('succeeded');
    expect(result.status).toBe('memory_limit_exceeded');
  });
});

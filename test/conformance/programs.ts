/**
 * The conformance programs: the same behaviours written in every language Airlock runs.
 * Each program reads and writes exactly what the suite expects, so one set of assertions serves all.
 */
import type { TerminalStatus } from '../../lib/vocabulary';

export interface SourceFile {
  path: string;
  content: string;
}

export interface LanguagePrograms {
  language: string;
  /** Prints `hello, world` and a newline. */
  hello: string;
  /** Copies stdin to stdout. */
  echo: string;
  /** Prints its arguments joined by single spaces. */
  args: string;
  /** Exits with code 3. */
  exit3: string;
  /** Fails at run time with `boom` on stderr (or a signal, for C and C++). */
  runtimeError: { code: string; status: TerminalStatus; stderr?: RegExp };
  /** Runs far past a short wall-clock limit. */
  sleep: string;
  /** Does not compile (compiled languages only). */
  compileError?: string;
  /** Several files: the entrypoint prints `hello, multi` through a helper in another file. */
  multiFile: { files: SourceFile[]; entrypoint: string };
  /** A program and its tests: one passes, one fails. */
  tests: { code: string; files: SourceFile[] };
}

export const PROGRAMS: LanguagePrograms[] = [
  {
    language: 'python',
    hello: 'print("hello, world")',
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())',
    args: 'import sys\nprint(" ".join(sys.argv[1:]))',
    exit3: 'import sys\nsys.exit(3)',
    runtimeError: { code: 'raise ValueError("boom")', status: 'runtime_error', stderr: /ValueError: boom/ },
    sleep: 'import time\ntime.sleep(30)',
    multiFile: {
      files: [
        { path: 'app/main.py', content: 'from greet import greet\nprint(greet("multi"))' },
        { path: 'app/greet.py', content: 'def greet(name):\n    return "hello, " + name' },
      ],
      entrypoint: 'app/main.py',
    },
    tests: {
      code: 'def add(a, b):\n    return a + b\n',
      files: [
        {
          path: 'test_add.py',
          content:
            'from main import add\n\ndef test_passes():\n    assert add(1, 1) == 2\n\ndef test_fails():\n    assert add(1, 1) == 3\n',
        },
      ],
    },
  },
  {
    language: 'javascript',
    hello: 'console.log("hello, world")',
    echo: 'process.stdin.pipe(process.stdout)',
    args: 'console.log(process.argv.slice(2).join(" "))',
    exit3: 'process.exit(3)',
    runtimeError: { code: 'throw new Error("boom")', status: 'runtime_error', stderr: /Error: boom/ },
    sleep: 'setTimeout(() => {}, 30000)',
    multiFile: {
      files: [
        { path: 'main.js', content: 'const { greet } = require("./lib/greet");\nconsole.log(greet("multi"));' },
        { path: 'lib/greet.js', content: 'exports.greet = (name) => `hello, ${name}`;' },
      ],
      entrypoint: 'main.js',
    },
    tests: {
      code: 'exports.add = (a, b) => a + b;\n',
      files: [
        {
          path: 'add.test.js',
          content:
            'const test = require("node:test");\nconst assert = require("node:assert");\nconst { add } = require("./main");\n' +
            'test("passes", () => assert.strictEqual(add(1, 1), 2));\ntest("fails", () => assert.strictEqual(add(1, 1), 3));\n',
        },
      ],
    },
  },
  {
    language: 'typescript',
    hello: 'const greeting: string = "hello, world";\nconsole.log(greeting);',
    echo: 'process.stdin.pipe(process.stdout);',
    args: 'const args: string[] = process.argv.slice(2);\nconsole.log(args.join(" "));',
    exit3: 'process.exit(3);',
    runtimeError: { code: 'throw new Error("boom");', status: 'runtime_error', stderr: /Error: boom/ },
    sleep: 'setTimeout(() => {}, 30000);',
    compileError: 'const n: number = "not a number";\nconsole.log(n);',
    multiFile: {
      files: [
        { path: 'main.ts', content: 'import { greet } from "./greet";\nconsole.log(greet("multi"));' },
        { path: 'greet.ts', content: 'export function greet(name: string): string {\n  return `hello, ${name}`;\n}' },
      ],
      entrypoint: 'main.ts',
    },
    tests: {
      code: 'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
      files: [
        {
          path: 'add.test.ts',
          content:
            'import test from "node:test";\nimport assert from "node:assert";\nimport { add } from "./main";\n' +
            'test("passes", () => assert.strictEqual(add(1, 1), 2));\ntest("fails", () => assert.strictEqual(add(1, 1), 3));\n',
        },
      ],
    },
  },
  {
    language: 'go',
    hello: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello, world") }',
    echo: 'package main\n\nimport (\n\t"io"\n\t"os"\n)\n\nfunc main() { io.Copy(os.Stdout, os.Stdin) }',
    args: 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nfunc main() { fmt.Println(strings.Join(os.Args[1:], " ")) }',
    exit3: 'package main\n\nimport "os"\n\nfunc main() { os.Exit(3) }',
    runtimeError: {
      code: 'package main\n\nfunc main() { panic("boom") }',
      status: 'runtime_error',
      stderr: /panic: boom/,
    },
    sleep: 'package main\n\nimport "time"\n\nfunc main() { time.Sleep(30 * time.Second) }',
    compileError: 'package main\n\nfunc main() { x := 1 }',
    multiFile: {
      files: [
        { path: 'main.go', content: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(greet("multi")) }' },
        { path: 'greet.go', content: 'package main\n\nfunc greet(name string) string { return "hello, " + name }' },
      ],
      entrypoint: 'main.go',
    },
    tests: {
      code: 'package main\n\nfunc add(a, b int) int { return a + b }\n\nfunc main() {}\n',
      files: [
        {
          path: 'add_test.go',
          content:
            'package main\n\nimport "testing"\n\nfunc TestPasses(t *testing.T) {\n\tif add(1, 1) != 2 {\n\t\tt.Fatal("1 + 1 != 2")\n\t}\n}\n\n' +
            'func TestFails(t *testing.T) {\n\tif add(1, 1) != 3 {\n\t\tt.Fatal("1 + 1 != 3")\n\t}\n}\n',
        },
      ],
    },
  },
  {
    language: 'java',
    hello:
      'public class Main {\n  public static void main(String[] args) {\n    System.out.println("hello, world");\n  }\n}',
    echo: 'public class Main {\n  public static void main(String[] args) throws Exception {\n    System.in.transferTo(System.out);\n  }\n}',
    args: 'public class Main {\n  public static void main(String[] args) {\n    System.out.println(String.join(" ", args));\n  }\n}',
    exit3: 'public class Main {\n  public static void main(String[] args) {\n    System.exit(3);\n  }\n}',
    runtimeError: {
      code: 'public class Main {\n  public static void main(String[] args) {\n    throw new RuntimeException("boom");\n  }\n}',
      status: 'runtime_error',
      stderr: /RuntimeException: boom/,
    },
    sleep:
      'public class Main {\n  public static void main(String[] args) throws Exception {\n    Thread.sleep(30000);\n  }\n}',
    compileError: 'public class Main {\n  public static void main(String[] args) {\n    int x = "string";\n  }\n}',
    multiFile: {
      files: [
        {
          path: 'Main.java',
          content:
            'public class Main {\n  public static void main(String[] args) {\n    System.out.println(Greeter.greet("multi"));\n  }\n}',
        },
        {
          path: 'Greeter.java',
          content: 'class Greeter {\n  static String greet(String name) {\n    return "hello, " + name;\n  }\n}',
        },
      ],
      entrypoint: 'Main.java',
    },
    tests: {
      code: 'public class Main {\n  static int add(int a, int b) { return a + b; }\n  public static void main(String[] args) {}\n}\n',
      files: [
        {
          path: 'AddTest.java',
          content:
            'import org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.assertEquals;\n\nclass AddTest {\n' +
            '  @Test void passes() { assertEquals(2, Main.add(1, 1)); }\n  @Test void fails() { assertEquals(3, Main.add(1, 1)); }\n}\n',
        },
      ],
    },
  },
  {
    language: 'c',
    hello: '#include <stdio.h>\n\nint main(void) {\n  puts("hello, world");\n  return 0;\n}',
    echo: '#include <stdio.h>\n\nint main(void) {\n  int c;\n  while ((c = getchar()) != EOF) putchar(c);\n  return 0;\n}',
    args: '#include <stdio.h>\n\nint main(int argc, char **argv) {\n  for (int i = 1; i < argc; i++) printf(i > 1 ? " %s" : "%s", argv[i]);\n  printf("\\n");\n  return 0;\n}',
    exit3: 'int main(void) { return 3; }',
    runtimeError: {
      code: '#include <stdlib.h>\n\nint main(void) {\n  abort();\n}',
      status: 'signaled',
    },
    sleep: '#include <unistd.h>\n\nint main(void) {\n  sleep(30);\n  return 0;\n}',
    compileError: 'int main(void) { return undefined_name; }',
    multiFile: {
      files: [
        {
          path: 'main.c',
          content: '#include <stdio.h>\n#include "greet.h"\n\nint main(void) {\n  greet("multi");\n  return 0;\n}',
        },
        { path: 'greet.h', content: 'void greet(const char *name);' },
        {
          path: 'greet.c',
          content:
            '#include <stdio.h>\n#include "greet.h"\n\nvoid greet(const char *name) { printf("hello, %s\\n", name); }',
        },
      ],
      entrypoint: 'main.c',
    },
    tests: {
      code: '#include "add.h"\n\nint main(void) { return add(1, 1) == 2 ? 0 : 1; }\n',
      files: [
        { path: 'add.h', content: 'int add(int a, int b);\n' },
        { path: 'add.c', content: '#include "add.h"\n\nint add(int a, int b) { return a + b; }\n' },
        {
          path: 'test_add.c',
          content:
            '#include <airlock_test.h>\n#include "add.h"\n\nAIRLOCK_TEST(passes) { EXPECT_EQ(add(1, 1), 2); }\nAIRLOCK_TEST(fails) { EXPECT_EQ(add(1, 1), 3); }\n',
        },
      ],
    },
  },
  {
    language: 'cpp',
    hello: '#include <iostream>\n\nint main() {\n  std::cout << "hello, world" << std::endl;\n}',
    echo: '#include <iostream>\n\nint main() {\n  std::cout << std::cin.rdbuf();\n}',
    args: '#include <iostream>\n\nint main(int argc, char **argv) {\n  for (int i = 1; i < argc; i++) std::cout << (i > 1 ? " " : "") << argv[i];\n  std::cout << std::endl;\n}',
    exit3: 'int main() { return 3; }',
    runtimeError: {
      code: '#include <stdexcept>\n\nint main() {\n  throw std::runtime_error("boom");\n}',
      status: 'signaled',
      stderr: /boom/,
    },
    sleep:
      '#include <chrono>\n#include <thread>\n\nint main() {\n  std::this_thread::sleep_for(std::chrono::seconds(30));\n}',
    compileError: 'int main() { int x = "string"; }',
    multiFile: {
      files: [
        {
          path: 'main.cpp',
          content:
            '#include <iostream>\n#include "greet.hpp"\n\nint main() {\n  std::cout << greet("multi") << std::endl;\n}',
        },
        { path: 'greet.hpp', content: '#include <string>\n\nstd::string greet(const std::string &name);' },
        {
          path: 'greet.cpp',
          content: '#include "greet.hpp"\n\nstd::string greet(const std::string &name) { return "hello, " + name; }',
        },
      ],
      entrypoint: 'main.cpp',
    },
    tests: {
      code: '#include "add.hpp"\n\nint main() { return add(1, 1) == 2 ? 0 : 1; }\n',
      files: [
        { path: 'add.hpp', content: 'int add(int a, int b);\n' },
        { path: 'add.cpp', content: '#include "add.hpp"\n\nint add(int a, int b) { return a + b; }\n' },
        {
          path: 'test_add.cpp',
          content:
            '#include <gtest/gtest.h>\n#include "add.hpp"\n\nTEST(Add, Passes) { EXPECT_EQ(add(1, 1), 2); }\nTEST(Add, Fails) { EXPECT_EQ(add(1, 1), 3); }\n',
        },
      ],
    },
  },
  {
    language: 'rust',
    hello: 'fn main() {\n    println!("hello, world");\n}',
    echo: 'use std::io;\n\nfn main() {\n    io::copy(&mut io::stdin(), &mut io::stdout()).unwrap();\n}',
    args: 'fn main() {\n    let args: Vec<String> = std::env::args().skip(1).collect();\n    println!("{}", args.join(" "));\n}',
    exit3: 'fn main() {\n    std::process::exit(3);\n}',
    runtimeError: {
      code: 'fn main() {\n    panic!("boom");\n}',
      status: 'runtime_error',
      // 1.63 prints `panicked at 'boom', main.rs:2:5`; since 1.73 the message follows on its own line.
      stderr: /panicked at (?:'boom'|main\.rs:\d+:\d+:\nboom)/,
    },
    sleep: 'fn main() {\n    std::thread::sleep(std::time::Duration::from_secs(30));\n}',
    compileError: 'fn main() {\n    let x: i32 = "string";\n}',
    multiFile: {
      files: [
        { path: 'main.rs', content: 'mod greet;\n\nfn main() {\n    println!("{}", greet::greet("multi"));\n}' },
        { path: 'greet.rs', content: 'pub fn greet(name: &str) -> String {\n    format!("hello, {}", name)\n}' },
      ],
      entrypoint: 'main.rs',
    },
    tests: {
      code: 'fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\nfn main() {\n    println!("{}", add(1, 1));\n}\n\n#[cfg(test)]\nmod tests;\n',
      files: [
        {
          path: 'tests.rs',
          content:
            'use super::add;\n\n#[test]\nfn passes() {\n    assert_eq!(add(1, 1), 2);\n}\n\n#[test]\nfn fails() {\n    assert_eq!(add(1, 1), 3);\n}\n',
        },
      ],
    },
  },
  {
    language: 'bash',
    hello: 'echo "hello, world"',
    echo: 'cat',
    args: 'echo "$@"',
    exit3: 'exit 3',
    runtimeError: { code: 'set -e\necho boom >&2\nfalse\necho unreachable', status: 'runtime_error', stderr: /boom/ },
    sleep: 'sleep 30',
    multiFile: {
      files: [
        { path: 'main.sh', content: 'source "$(dirname "$0")/lib/greet.sh"\ngreet multi' },
        { path: 'lib/greet.sh', content: 'greet() { echo "hello, $1"; }' },
      ],
      entrypoint: 'main.sh',
    },
    tests: {
      code: 'add() { echo $(($1 + $2)); }\n',
      files: [
        {
          path: 'add.bats',
          content:
            'setup() { source "$BATS_TEST_DIRNAME/main.sh"; }\n\n@test "passes" {\n  [ "$(add 1 1)" -eq 2 ]\n}\n\n@test "fails" {\n  [ "$(add 1 1)" -eq 3 ]\n}\n',
        },
      ],
    },
  },
  {
    language: 'ruby',
    hello: 'puts "hello, world"',
    echo: 'print $stdin.read',
    args: 'puts ARGV.join(" ")',
    exit3: 'exit 3',
    runtimeError: { code: 'raise "boom"', status: 'runtime_error', stderr: /boom \(RuntimeError\)/ },
    sleep: 'sleep 30',
    multiFile: {
      files: [
        { path: 'main.rb', content: 'require_relative "lib/greet"\nputs greet("multi")' },
        { path: 'lib/greet.rb', content: 'def greet(name)\n  "hello, #{name}"\nend' },
      ],
      entrypoint: 'main.rb',
    },
    tests: {
      code: 'def add(a, b)\n  a + b\nend\n',
      files: [
        {
          path: 'add_test.rb',
          content:
            'require "minitest/autorun"\nrequire_relative "main"\n\nclass AddTest < Minitest::Test\n' +
            '  def test_passes\n    assert_equal 2, add(1, 1)\n  end\n\n  def test_fails\n    assert_equal 3, add(1, 1)\n  end\nend\n',
        },
      ],
    },
  },
];

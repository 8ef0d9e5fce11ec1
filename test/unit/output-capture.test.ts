import { OutputCapture } from '../../activities/supervisor/output-capture';

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(Buffer.from(text), () => resolve()));
}

describe('OutputCapture', () => {
  test('keeps both streams under one shared budget and signals the limit once', async () => {
    const onLimit = jest.fn();
    const capture = new OutputCapture(10, onLimit);
    await write(capture.stdout, 'hello');
    await write(capture.stderr, 'wor');
    expect(onLimit).not.toHaveBeenCalled();
    await write(capture.stdout, 'ld!!');
    await write(capture.stderr, 'more');
    expect(onLimit).toHaveBeenCalledTimes(1);
    expect(capture.exceeded).toBe(true);
    expect(capture.stdout.text()).toBe('hellold');
    expect(capture.stderr.text()).toBe('wor');
    expect(capture.stdout.bytes).toBe(9);
    expect(capture.stderr.bytes).toBe(7);
    expect(capture.stdout.truncated).toBe(true);
    expect(capture.stderr.truncated).toBe(true);
  });

  test('output exactly at the budget is not truncated', async () => {
    const onLimit = jest.fn();
    const capture = new OutputCapture(4, onLimit);
    await write(capture.stdout, 'abcd');
    expect(onLimit).not.toHaveBeenCalled();
    expect(capture.stdout.truncated).toBe(false);
    expect(capture.stdout.text()).toBe('abcd');
  });
});

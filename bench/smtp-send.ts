// Sending invitations by e-mail: 10,000 messages rendered from the default template and sent
// through the mailer (nodemailer's pool) to a local SMTP server (the smtp-server package) that runs
// in a child process, so the server does not share the sender's event loop. Printed against the
// issue's target (500 messages/s) and against a baseline measured in the same run: the same server
// receiving the same number of pre-built messages over one raw SMTP connection, no nodemailer.
//   node --import tsx bench/smtp-send.ts [--messages 10000] [--connections 5] [--in-flight 200]
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import MailComposer from 'nodemailer/lib/mail-composer';
import { SMTPServer } from 'smtp-server';
import {
  createMailer,
  defaultTemplate,
  type MessageVars,
  renderMessage,
  unsubscribeHeaders,
} from '../src/distribution/email/index.ts';

const target = 500;
const from = 'Research panel <panel@example.org>';

// ---- the server (child process) ----

type ToServer = { type: 'count' };
type FromServer = { type: 'listening'; port: number } | { type: 'count'; messages: number; bytes: number };

function runServer(): void {
  let messages = 0;
  let bytes = 0;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, callback) {
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on('end', () => {
        messages++;
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const port = (server.server.address() as { port: number }).port;
    process.send!({ type: 'listening', port } satisfies FromServer);
  });
  process.on('message', (m: ToServer) => {
    if (m.type === 'count') process.send!({ type: 'count', messages, bytes } satisfies FromServer);
  });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

// ---- the sender (this process) ----

function varsOf(i: number): MessageVars {
  const token = `t${i.toString(36).padStart(6, '0')}Zk3Qv9xLw2Rj8Ys1`;
  return {
    member: { name: `Member ${i}, MD`, email: `m${i}@example.org`, externalId: `m${i}`, attributes: {} },
    survey: { title: 'Work and sleep of physicians 2026', minutes: 12, timeZone: 'Asia/Tokyo' },
    link: `https://enquete.example/s/${token}?ch=email`,
    deadline: '2026-04-30T14:59:00.000Z',
    unsubscribe_url: `https://enquete.example/u/${token}`,
  };
}

/** Reads SMTP replies (possibly multi-line) off a socket, one promise per command. */
class ReplyReader {
  #buffer = '';
  #lines: string[] = [];
  readonly #waiting: ((reply: string) => void)[] = [];

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let at = this.#buffer.indexOf('\r\n');
      while (at >= 0) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 2);
        this.#lines.push(line);
        if (/^\d{3} /.test(line)) this.#waiting.shift()!(this.#lines.splice(0).join('\n'));
        at = this.#buffer.indexOf('\r\n');
      }
    });
  }

  next(expect: string): Promise<string> {
    return new Promise((resolve, reject) =>
      this.#waiting.push((reply) =>
        reply.slice(reply.lastIndexOf('\n') + 1).startsWith(expect)
          ? resolve(reply)
          : reject(new Error(`expected ${expect}, got ${reply}`)),
      ),
    );
  }
}

/** The floor of what the server takes: one connection, one command at a time, messages pre-built. */
async function rawBaseline(port: number, count: number, raw: Buffer): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const replies = new ReplyReader(socket);
  const say = (line: string, expect: string) => {
    const reply = replies.next(expect);
    socket.write(`${line}\r\n`);
    return reply;
  };
  await replies.next('220');
  await say('EHLO bench.example', '250');
  const body = Buffer.concat([
    Buffer.from(raw.toString('latin1').replace(/^\./gm, '..'), 'latin1'),
    Buffer.from('\r\n.\r\n'),
  ]);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await say('MAIL FROM:<panel@example.org>', '250');
    await say(`RCPT TO:<m${i}@example.org>`, '250');
    await say('DATA', '354');
    const accepted = replies.next('250');
    socket.write(body);
    await accepted;
  }
  const seconds = (performance.now() - started) / 1000;
  await say('QUIT', '221');
  socket.destroy();
  return seconds;
}

/** Renders and sends `count` invitations through the mailer, keeping `inFlight` sends open. */
async function mailerRun(
  port: number,
  count: number,
  connections: number,
  inFlight: number,
): Promise<number> {
  const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from, maxConnections: connections });
  await mailer.verify();
  const failures: string[] = [];
  const started = performance.now();
  let next = 0;
  async function lane(): Promise<void> {
    while (next < count) {
      const vars = varsOf(next++);
      const outcome = await mailer.send({
        to: vars.member.email!,
        ...renderMessage(defaultTemplate, vars),
        headers: unsubscribeHeaders(vars.unsubscribe_url),
      });
      if (outcome.status !== 'sent') failures.push(outcome.error);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  await mailer.close();
  if (failures.length > 0) throw new Error(`${failures.length} sends failed, first: ${failures[0]}`);
  return seconds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '10000' },
      connections: { type: 'string', default: '5' },
      'in-flight': { type: 'string', default: '200' },
    },
  });
  const count = Number(values.messages);
  const connections = Number(values.connections);
  const inFlight = Number(values['in-flight']);

  const child = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx'] });
  const ask = <T extends FromServer['type']>(type: T, send?: ToServer) =>
    new Promise<Extract<FromServer, { type: T }>>((resolve) => {
      const on = (m: FromServer) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m as Extract<FromServer, { type: T }>);
      };
      child.on('message', on);
      if (send) child.send(send);
    });
  const { port } = await ask('listening');

  try {
    const sample = varsOf(0);
    const raw = await new MailComposer({
      from,
      to: sample.member.email!,
      ...renderMessage(defaultTemplate, sample),
      headers: unsubscribeHeaders(sample.unsubscribe_url),
    })
      .compile()
      .build();

    console.log(
      `smtp-send: ${count.toLocaleString('en')} messages to smtp-server in a child process (Node ${process.versions.node})`,
    );
    const rawSeconds = await rawBaseline(port, count, raw);
    const afterRaw = await ask('count', { type: 'count' });
    const rawRate = count / rawSeconds;
    console.log(
      `baseline, one raw SMTP connection, pre-built ${raw.length}-byte message: ${rawRate.toFixed(0)} msg/s (${rawSeconds.toFixed(2)} s)`,
    );

    const seconds = await mailerRun(port, count, connections, inFlight);
    const afterPool = await ask('count', { type: 'count' });
    const rate = count / seconds;
    console.log(
      `mailer, render + send, pool of ${connections} connections, ${inFlight} sends open: ${rate.toFixed(0)} msg/s (${seconds.toFixed(2)} s)`,
    );
    const received = afterPool.messages - afterRaw.messages;
    if (afterRaw.messages !== count || received !== count) {
      throw new Error(
        `the server received ${afterRaw.messages} and ${received} messages, expected ${count} each`,
      );
    }
    console.log(
      `server received ${afterRaw.messages} + ${received} messages (${afterPool.bytes.toLocaleString('en')} bytes)`,
    );
    console.log(
      `ratio vs target ${target}/s: ${(rate / target).toFixed(2)} (${rate >= target ? 'met' : 'NOT met'}); ` +
        `ratio vs raw baseline: ${(rate / rawRate).toFixed(2)}`,
    );
  } finally {
    child.disconnect();
  }
}

if (process.argv.includes('--server')) runServer();
else await main();

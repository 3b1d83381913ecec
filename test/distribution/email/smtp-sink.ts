import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** One message as the server received it. */
export interface ReceivedMessage {
  from: string;
  to: string[];
  /** The raw RFC 5322 message (headers and MIME body) as sent over the wire. */
  raw: string;
}

export interface SinkOptions {
  /** Reply code to refuse a recipient with (e.g. 451, 550), or null to accept. */
  rcpt?: (address: string) => number | null;
  /** Require this login. */
  auth?: { user: string; pass: string };
  /** Called with each message once received; what it returns is awaited before the server answers. */
  onMessage?: (message: ReceivedMessage) => void | Promise<void>;
}

export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:<port>` (without credentials). */
  url: string;
  messages: ReceivedMessage[];
  /** Resolves once `count` messages have been received. */
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

function refusal(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * A real SMTP server (the `smtp-server` package) on a random local port that keeps what it
 * receives, for tests of the e-mail channel.
 *
 * @example
 * const sink = await startSmtpSink({ rcpt: (to) => (to.startsWith('gone') ? 550 : null) });
 */
export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const serverOptions: SMTPServerOptions = {
    logger: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(refusal(535, 'Authentication credentials invalid'));
      }
    },
    onRcptTo(address, _session, callback) {
      const code = options.rcpt?.(address.address) ?? null;
      if (code === null) callback();
      else callback(refusal(code, code >= 500 ? 'Mailbox unavailable' : 'Try again later'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const message: ReceivedMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        };
        await options.onMessage?.(message);
        messages.push(message);
        for (const waiter of waiters.filter((w) => messages.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        callback();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(count) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/**
 * A throwaway SMTP server (smtp-server, in this process) on 127.0.0.1 for mail tests: a random free port, no
 * TLS, and every accepted message kept both raw and parsed by mailparser. It can be made to refuse mail
 * (`setDown`: a reply to MAIL FROM) or to vanish (`kill`: connections refused) and come back (`restart`).
 */
export interface SmtpTestServer {
  host: '127.0.0.1';
  port: number;
  /** `smtp://[user:pass@]127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  /** Accepted messages, in the order their DATA ended. */
  readonly received: readonly ReceivedMail[];
  /** How many times each Message-ID arrived: more than one means a mail was sent twice. */
  countByMessageId(): Map<string, number>;
  /** Forgets what was received (between tests sharing one server). */
  clear(): void;
  /** While down, MAIL FROM is answered with `reply` (451 by default: a temporary refusal) and nothing is accepted. */
  setDown(down: boolean, reply?: { code: number; message: string }): void;
  /** Stops listening and drops open connections: clients then get "connection refused". */
  kill(): Promise<void>;
  /** Listens again on the same port (after `kill`), with what was received kept. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The message as it crossed the wire: headers and MIME body. */
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpTestServerOptions {
  /** Require AUTH PLAIN/LOGIN with these credentials (allowed over plain text: this is a test server). */
  auth?: { user: string; pass: string };
}

const DEFAULT_DOWN_REPLY = { code: 451, message: 'Requested action aborted: local error in processing (test server is down)' };

export async function startSmtpServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const received: ReceivedMail[] = [];
  let down: { code: number; message: string } | undefined;

  const config: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass)
        return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onMailFrom(_address, _session, callback) {
      if (down) return callback(Object.assign(new Error(down.message), { responseCode: down.code }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        // Recorded before the reply, so the sender's promise settles only once the message is in `received`.
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
            received.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, raw, parsed });
            callback();
          })
          .catch(callback);
      });
    },
  };

  let server = new SMTPServer(config);
  const port = await listen(server, 0);
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : '';
  return {
    host: '127.0.0.1',
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    received,
    countByMessageId() {
      const counts = new Map<string, number>();
      for (const mail of received) {
        const id = mail.parsed.messageId ?? '';
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    clear() {
      received.length = 0;
    },
    setDown(isDown, reply = DEFAULT_DOWN_REPLY) {
      down = isDown ? reply : undefined;
    },
    kill: () => close(server),
    async restart() {
      server = new SMTPServer(config);
      await listen(server, port);
    },
    stop: () => close(server),
  };
}

function listen(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      // A client error (a dropped connection) must not crash the test process.
      server.on('error', () => {});
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening; smtp-server ends open connections after `closeTimeout`. Closing twice is harmless. */
function close(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.server.listening) return resolve();
    server.close(() => resolve());
  });
}

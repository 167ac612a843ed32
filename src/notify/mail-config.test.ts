// SMTP_URL, MAIL_FROM and MAIL_MESSAGE_ID_DOMAIN as loadConfig reads them, and the transport they make.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../log/logger.js';
import { DEFAULT_MAIL_FROM } from './mail-config.js';
import { classifySendError, createMailTransport, describeRelay } from './mail-sender.js';

const env = (extra: Record<string, string>) => ({ AIRLOCK_DATA_DIR: '/tmp/airlock-test', ...extra });

describe('mail configuration', () => {
  it('defaults to no SMTP (the local outbox) and a sender at localhost; Message-IDs take the sender domain', () => {
    const { mail } = loadConfig(env({}));
    expect(mail).toEqual({ smtpUrl: undefined, from: DEFAULT_MAIL_FROM, messageIdDomain: 'localhost' });
    expect(createMailTransport(mail)).toBeUndefined();
    expect(loadConfig(env({ MAIL_FROM: 'Data Office <airlock@corp.example>' })).mail.messageIdDomain).toBe('corp.example');
    expect(loadConfig(env({ MAIL_FROM: 'airlock@corp.example', MAIL_MESSAGE_ID_DOMAIN: 'mail.corp.example' })).mail.messageIdDomain).toBe(
      'mail.corp.example',
    );
  });

  it('takes an smtp:// or smtps:// URL and builds a transport for it', () => {
    const { mail } = loadConfig(env({ SMTP_URL: 'smtps://airlock:pa%24%24@smtp.corp.example:465' }));
    expect(mail.smtpUrl).toBe('smtps://airlock:pa%24%24@smtp.corp.example:465');
    expect(createMailTransport(mail)).toBeDefined();
    expect(describeRelay(mail.smtpUrl!)).toBe('smtps://smtp.corp.example:465');
  });

  it('refuses a bad SMTP_URL without repeating it (it may hold a password)', () => {
    for (const value of ['http://airlock:TopSecret1@smtp.corp.example', 'smtp://', 'not a url TopSecret1']) {
      let message = '';
      try {
        loadConfig(env({ SMTP_URL: value }));
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
      expect(message).not.toContain('TopSecret1');
    }
  });

  it('refuses a MAIL_FROM that is not one mailbox on one line, and a Message-ID domain that is not a domain', () => {
    expect(() => loadConfig(env({ MAIL_FROM: 'Airlock\r\nBcc: eve@example.com <a@corp.example>' }))).toThrow(/MAIL_FROM: must be/);
    expect(() => loadConfig(env({ MAIL_FROM: 'a@corp.example, b@corp.example' }))).toThrow(/MAIL_FROM/);
    expect(() => loadConfig(env({ MAIL_MESSAGE_ID_DOMAIN: 'bad domain>' }))).toThrow(/MAIL_MESSAGE_ID_DOMAIN: must be a domain name/);
  });

  it('redacts the SMTP URL wherever the configuration is logged', () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
    const logger = createLogger({ level: 'info', pretty: false, destination });
    const config = loadConfig(env({ SMTP_URL: 'smtp://airlock:TopSecret1@smtp.corp.example' }));
    logger.info({ config }, 'config');
    logger.info(config, 'config');
    logger.info({ mail: config.mail }, 'mail');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain('TopSecret1');
  });

  it('classifies send errors: no reply or 421 is an outage, a reply about the message a rejection', () => {
    expect(classifySendError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' }))).toEqual({
      kind: 'unreachable',
      reply: 'ESOCKET: connect ECONNREFUSED 127.0.0.1:25',
    });
    expect(
      classifySendError({ code: 'EENVELOPE', responseCode: 421, response: '421 4.3.2 Shutting down', command: 'MAIL FROM' }).kind,
    ).toBe('unreachable');
    expect(
      classifySendError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed', command: 'AUTH PLAIN' }),
    ).toEqual({
      kind: 'unreachable',
      reply: 'AUTH PLAIN: 535 5.7.8 Authentication failed',
    });
    expect(classifySendError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 No such user', command: 'RCPT TO' })).toEqual({
      kind: 'rejected',
      reply: 'RCPT TO: 550 5.1.1 No such user',
    });
    expect(classifySendError(Object.assign(new Error('bad smtp://u:TopSecret1@h'), { code: 'ECONFIG' })).reply).toBe(
      'ECONFIG: bad smtp://[redacted]@h',
    );
  });
});

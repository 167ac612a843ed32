import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A throwaway OpenSSH server on 127.0.0.1 for connector tests: its own host key, client key, config and
 * folder, run as the current user, offering only `internal-sftp`. Nothing outside its temp folder is
 * changed, except that `/run/sshd` (the privilege-separation folder sshd insists on) is created if missing.
 */
export interface SshdServer {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** Private key (OpenSSH format) the server accepts for `username`. */
  privateKeyPath: string;
  /** Passphrase of `privateKeyPath`, when one was asked for. */
  privateKeyPassphrase?: string;
  /** The password the server accepts, when password auth was asked for. */
  password?: string;
  /** The host key's fingerprint as `ssh-keygen -l` prints it: `SHA256:<base64, no padding>`. */
  hostKeyFingerprint: string;
  /** A folder the user may write into; connector roots point at or below it. */
  root: string;
  /** sshd's own log (LogLevel VERBOSE), for diagnosing a failed test. */
  logPath: string;
  /** Stops sshd and every session it forked, and removes the temp folder. */
  stop(): Promise<void>;
  /** SIGKILLs sshd and every session it forked, as a crash would: open connections drop at once. */
  kill(): Promise<void>;
  /** Starts sshd again on the same port with the same keys (after `kill`). */
  restart(): Promise<void>;
}

export interface SshdServerOptions {
  /**
   * Accept this password for the current user. sshd (without PAM) checks passwords against /etc/shadow,
   * so sshd is then started in a private mount namespace (`unshare --mount`) where a copy of the shadow
   * file holding this password's hash is bind-mounted over /etc/shadow: the system's users are untouched.
   * Needs CAP_SYS_ADMIN; `startSshd` rejects when that is unavailable.
   */
  password?: string;
  /** Encrypt the client key with this passphrase. */
  privateKeyPassphrase?: string;
  /** How long to wait for sshd to accept connections; 10 s by default. */
  startTimeoutMs?: number;
}

const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';
const run = promisify(execFile);

export async function startSshd(options: SshdServerOptions = {}): Promise<SshdServer> {
  const base = await mkdtemp(join(tmpdir(), 'airlock-sshd-'));
  try {
    return await setUp(base, options);
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    throw error;
  }
}

async function setUp(base: string, options: SshdServerOptions): Promise<SshdServer> {
  const username = userInfo().username;
  const root = join(base, 'root');
  await mkdir(root);
  await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  const hostKey = join(base, 'ssh_host_ed25519_key');
  const privateKeyPath = join(base, 'client_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'airlock-test-host', '-f', hostKey]);
  await run('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    options.privateKeyPassphrase ?? '',
    '-C',
    'airlock-test-client',
    '-f',
    privateKeyPath,
  ]);
  await writeFile(join(base, 'authorized_keys'), await readFile(`${privateKeyPath}.pub`), { mode: 0o600 });
  const hostKeyFingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`])).stdout.split(' ')[1] ?? '';

  const shadow = options.password === undefined ? undefined : await writeShadow(base, username, options.password);
  const port = await freePort();
  const config = join(base, 'sshd_config');
  const logPath = join(base, 'sshd.log');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(base, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(base, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      `PasswordAuthentication ${options.password === undefined ? 'no' : 'yes'}`,
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      `AllowUsers ${username}`,
      // Only SFTP, served inside sshd: no login shell runs, even for a command the client asks for.
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      'SetEnv SHLVL=1',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'MaxStartups 100',
      'MaxSessions 50',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const log = await open(logPath, 'a');
    try {
      child = await spawnSshd(['-D', '-e', '-f', config], shadow, log.fd);
    } finally {
      await log.close();
    }
    const exited = new Promise<never>((_, reject) => {
      child?.once('exit', (code, signal) => reject(new Error(`sshd exited (${code ?? signal}) while starting`)));
      child?.once('error', reject);
    });
    try {
      await Promise.race([waitForPort(port, options.startTimeoutMs ?? 10_000), exited]);
    } catch (error) {
      await killTree(child);
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).slice(-2000);
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${(error as Error).message}\n${tail}`, { cause: error });
    } finally {
      exited.catch(() => undefined);
    }
  };
  await start();

  return {
    host: '127.0.0.1',
    port,
    username,
    privateKeyPath,
    ...(options.privateKeyPassphrase === undefined ? {} : { privateKeyPassphrase: options.privateKeyPassphrase }),
    ...(options.password === undefined ? {} : { password: options.password }),
    hostKeyFingerprint,
    root,
    logPath,
    kill: async () => {
      await killTree(child);
      child = undefined;
    },
    restart: async () => {
      await killTree(child);
      await start();
    },
    stop: async () => {
      await killTree(child);
      child = undefined;
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Probed once: whether this process may create PID and mount namespaces (root with CAP_SYS_ADMIN). */
let namespacesAllowed: Promise<boolean> | undefined;

/**
 * Starts sshd, where possible as the init of its own PID namespace: killing it then makes the kernel kill
 * and reap every session with it. Without that, sessions killed after their parent stay zombies here, as
 * this container's init does not reap orphans. A `shadow` file is bind-mounted over /etc/shadow in a
 * private mount namespace, seen by this sshd only.
 */
async function spawnSshd(args: string[], shadow: string | undefined, logFd: number): Promise<ChildProcess> {
  const stdio: ['ignore', number, number] = ['ignore', logFd, logFd];
  namespacesAllowed ??= new Promise((resolve) =>
    execFile('unshare', ['--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', 'true'], (error) => resolve(!error)),
  );
  if (!(await namespacesAllowed)) {
    if (shadow !== undefined) throw new Error('Password authentication needs unshare (CAP_SYS_ADMIN), which is not available here.');
    return spawn(SSHD, args, { stdio });
  }
  const mount = shadow === undefined ? [] : ['--mount', '--propagation', 'private'];
  const command =
    shadow === undefined ? [SSHD, ...args] : ['sh', '-c', 'mount --bind "$0" /etc/shadow && exec "$@"', shadow, SSHD, ...args];
  return spawn('unshare', ['--pid', '--fork', '--kill-child', ...mount, ...command], { stdio });
}

/** A copy of /etc/shadow where `username` has `password`, for the private mount namespace only. */
async function writeShadow(base: string, username: string, password: string): Promise<string> {
  const hashed = await opensslPasswd(password);
  const lines = (await readFile('/etc/shadow', 'utf8')).split('\n');
  const index = lines.findIndex((line) => line.startsWith(`${username}:`));
  const fields = (lines[index] ?? `${username}::19000:0:99999:7:::`).split(':');
  fields[1] = hashed.trim();
  if (index === -1) lines.push(fields.join(':'));
  else lines[index] = fields.join(':');
  const file = join(base, 'shadow');
  await writeFile(file, lines.join('\n'), { mode: 0o600 });
  return file;
}

function opensslPasswd(password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['passwd', '-6', '-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`openssl passwd exited with ${code}`))));
    child.stdin.end(`${password}\n`);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('Could not pick a free port.');
  return address.port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not accepting connections after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * SIGKILLs sshd and every session it forked, then waits. Under `unshare`, its child is the namespace's
 * init: killing that one takes every session down with it, reaped by the kernel, and unshare then exits by
 * itself (killing unshare too would leave that init a zombie). Without a namespace, sessions (which call
 * setsid(), so are outside sshd's process group) are found through /proc and killed with sshd.
 */
async function killTree(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const below = await descendants(child.pid);
  // Breadth-first, so below[0] is unshare's own child.
  const targets = child.spawnfile === 'unshare' && below[0] !== undefined ? [below[0]] : [child.pid, ...below];
  for (const pid of targets) signal(pid, 'SIGKILL');
  const timer = setTimeout(() => signal(child.pid as number, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    // Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after its `)`.
    const ppid = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const kid of parents.get(queue.shift() as number) ?? []) {
      found.push(kid);
      queue.push(kid);
    }
  }
  return found;
}

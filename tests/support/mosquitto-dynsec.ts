import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A dynamic-security file for a Mosquitto of a test, bootstrapped as deploy/mosquitto/mosquitto.conf
 * says (`mosquitto_ctrl dynsec init <file> <admin>`), in `dir`. The plugin reads and rewrites the
 * file as the broker's user: Mosquitto started as root drops to the `mosquitto` user, so the
 * directory and the file are handed to it then.
 */
export function bootstrapDynsec(dir: string, admin: { username: string; password: string }): string {
  const file = join(dir, 'dynamic-security.json');
  execFileSync('/usr/bin/mosquitto_ctrl', ['dynsec', 'init', file, admin.username, admin.password], { stdio: 'ignore' });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'mosquitto'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'mosquitto'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chownSync(file, uid, gid);
  }
  chmodSync(dir, 0o700);
  chmodSync(file, 0o600);
  return file;
}

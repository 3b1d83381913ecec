import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'enquete-config-'));
}

describe('configuration', () => {
  it('has the contract defaults', () => {
    const cwd = dir();
    const c = loadConfig({}, cwd);
    expect(c.dataDir).toBe(join(cwd, 'data'));
    expect(c.databaseUrl).toBeUndefined();
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.jobsPath).toBeUndefined();
  });

  it('reads enquete.yaml and lets the environment win', () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, 'enquete.yaml'),
      'PORT: 9000\nHOST: 0.0.0.0\nENQUETE_PUBLIC_URL: https://survey.example.org/\n',
    );
    const c = loadConfig({ PORT: '9100' }, cwd);
    expect(c.port).toBe(9100);
    expect(c.host).toBe('0.0.0.0');
    expect(c.publicUrl).toBe('https://survey.example.org');
  });

  it('finds ./jobs.yaml when present', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'jobs.yaml'), '[]\n');
    expect(loadConfig({}, cwd).jobsPath).toBe(join(cwd, 'jobs.yaml'));
  });

  it('names every bad key', () => {
    const cwd = dir();
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x' }, cwd);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/DATABASE_URL: must start with postgres:\/\//);
    expect(message).toMatch(/PORT: /);
  });

  it('refuses unknown keys and non-map files', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'enquete.yaml'), 'PROT: 9000\n');
    expect(() => loadConfig({}, cwd)).toThrow(/unknown key PROT/);
    writeFileSync(join(cwd, 'enquete.yaml'), '- a\n- b\n');
    expect(() => loadConfig({}, cwd)).toThrow(/must be a map/);
  });
});

/**
 * The HTML report in a real browser (Debian's Chromium driven by playwright-core): a
 * face-off report shaped as a small matrix run writes it (the engine's behaviour behind
 * each cell is the battery suites' to prove; here the page is what is tested), plus one
 * hostile log line, rendered and looked at. Nothing waits on the engine. Saves a
 * screenshot under reports/browser/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportsDir } from '../harness/paths.js';
import { writeReport } from '../harness/report/write.js';
import { ensureDebianPackages } from './support/debian.js';
import { faceOffFixture, HOSTILE } from './support/fixture-report.js';

const OUT = join(reportsDir(), 'browser');
const CHECK_NAMES = ['pid1', 'graceful-stop', 'zombie-reaping'];

let browser: Browser;
let page: Page;
const dialogs: string[] = [];
let subjects: string[] = [];
/** The figure the exec-form/naive graceful-stop cell must show: the observation's own. */
let killedFigure = '';

beforeAll(async () => {
  await ensureDebianPackages({ chromium: '/usr/bin/chromium', 'libxml2-utils': '/usr/bin/xmllint' });
  const report = faceOffFixture();
  // What a hostile image could print, in the evidence of the first cell.
  report.results[0]?.evidence.logs?.push({ stream: 'stderr', text: HOSTILE });
  subjects = [...new Set(report.results.map((r) => r.subject))];
  writeReport(OUT, report);
  const killed = report.results.find((r) => r.subject === 'exec-form/naive' && r.check === 'graceful-stop');
  killedFigure = `137 in ${((killed?.observed.stopDurationMs as number) / 1000).toFixed(2)}s KILL`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // The page must need nothing from the network: fail any request that is not the file.
  await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(join(OUT, 'report.html')).href);
});

afterAll(async () => {
  await browser?.close();
});

describe('report.html in Chromium', () => {
  it('renders the face-off matrix: one row per subject, one column per check', async () => {
    expect(await page.locator('#matrix tbody tr').count()).toBe(subjects.length);
    expect(await page.locator('#matrix thead th').allInnerTexts()).toEqual(['subject', ...CHECK_NAMES]);
    const cell = page.locator('td.cell[data-subject="exec-form/naive"][data-check="graceful-stop"]');
    await expect.poll(() => cell.getAttribute('data-verdict')).toBe('fail');
    // SIGKILL after the grace period (at least 2 s; longer when the machine was too busy to judge 2 s).
    expect(killedFigure).toMatch(/^137 in ([2-9]|\d\d+)\.\d\ds KILL$/);
    expect(await cell.innerText()).toMatch(new RegExp(`^${killedFigure.replace(/\./g, '\\.')}`));
  });

  it('draws the stop-duration chart with a bar per subject and the grace line', async () => {
    const chart = page.locator('svg#stop-chart');
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator('g.bar').count()).toBe(subjects.length);
    expect(await chart.textContent()).toContain('grace 2 s');
  });

  it("shows a cell's evidence when it is clicked", async () => {
    const section = page.locator('section.evidence[data-subject="tini/naive"][data-check="pid1"]');
    expect(await section.isVisible()).toBe(false);
    await page.locator('td.cell[data-subject="tini/naive"][data-check="pid1"] a').click();
    expect(await section.isVisible()).toBe(true);
    const text = await section.innerText();
    expect(text).toContain('ps snapshot');
    expect(text).toMatch(/tini -- python3 \/app\/app\.py/);
    expect(text).toContain('ready pid=');
    await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
  });

  it('shows hostile output as text: no script ran, the markup is visible', async () => {
    const first = page.locator('section.evidence').first();
    await page.locator('td.cell a').first().click();
    expect(await first.innerText()).toContain('<script>alert(1)</script>');
    expect(await first.innerText()).toContain('\\u0001');
    expect(dialogs).toEqual([]);
  });

  it('writes a junit.xml that is valid against the common JUnit schema', async () => {
    const r = await execa('xmllint', ['--noout', '--schema', join(reportsDir(), 'junit.xsd'), join(OUT, 'junit.xml')], {
      reject: false,
      all: true,
    });
    expect(r.all).toContain('validates');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(OUT, 'junit.xml'), 'utf8')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

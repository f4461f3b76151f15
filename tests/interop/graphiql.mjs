// Drives GraphiQL in Debian's Chromium (playwright-core; no browser download): runs a product
// query and checks the result pane, then starts a priceChanged subscription and waits for the
// event the test publishes. Fails on any console error, CSP violation, failed request or request
// to another origin. Prints one JSON line per step.
// Usage: node graphiql.mjs BASE_URL [SCREENSHOT_PATH]
import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
const origin = new URL(base).origin;
const problems = [];
const say = (obj) => console.log(JSON.stringify(obj));
const fail = async (browser, why) => {
  say({ error: why, problems });
  await browser.close();
  process.exit(1);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
page.on('request', (r) => {
  const url = new URL(r.url());
  const sameOrigin = url.origin === origin || (url.protocol === 'ws:' && url.host === new URL(base).host);
  if (!sameOrigin && url.protocol !== 'data:') problems.push(`other origin: ${r.url()}`);
});

async function open(query) {
  await page.goto(`${base}/?query=${encodeURIComponent(query)}`);
  await page.waitForSelector('.graphiql-execute-button', { timeout: 20000 });
  await page.click('.graphiql-execute-button');
}

const result = () => page.locator('.result-window');

try {
  await open('{ product(id: "p000003") { id title variants { sku price { amount } } } }');
  await result().getByText('"p000003"').first().waitFor({ timeout: 20000 });
  say({ step: 'query', ok: true });
  // The docs explorer shows the schema's query fields.
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.locator('.graphiql-doc-explorer').getByText('products').first().waitFor({ timeout: 10000 });
  say({ step: 'docs', ok: true });
  await open('subscription { priceChanged(skus: ["p000003-0"]) { sku price { amount } } }');
  say({ step: 'subscribed' });
  await result().getByText('"12.34"').first().waitFor({ timeout: 30000 });
  say({ step: 'event', ok: true });
  if (screenshot) await page.screenshot({ path: screenshot });
} catch (e) {
  await fail(browser, e.message);
}
if (problems.length) await fail(browser, 'problems');
say({ done: true });
await browser.close();

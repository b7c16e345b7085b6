// Drives Debian's Chromium with playwright-core: opens a page served from another origin, then runs
// the page's upload (presigned PUT) and read-back (fetch) there.  Prints one JSON line.
const { chromium } = require("playwright-core");

async function main() {
  const job = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: job.chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(job.page);
    const result = await page.evaluate(async ({ putUrl, getUrl }) => {
      try {
        const put = await fetch(putUrl, { method: "PUT", body: "from the browser",
                                          headers: { "Content-Type": "application/json" } });
        const etag = put.headers.get("ETag");
        const got = await fetch(getUrl);
        return { ok: true, putStatus: put.status, etag, status: got.status, text: await got.text(),
                 origin: location.origin };
      } catch (e) {
        return { ok: false, error: String(e), origin: location.origin };
      }
    }, { putUrl: job.putUrl, getUrl: job.getUrl });
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });

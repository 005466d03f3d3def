// Drives a nango-tui server with the real @nangohq/node client and prints what it observed as JSON.
// Usage: NANGO_HOST=http://127.0.0.1:PORT NANGO_KEY=... node compat.mjs <scenario>
import { Nango } from '@nangohq/node';

const nango = new Nango({ host: process.env.NANGO_HOST, secretKey: process.env.NANGO_KEY });
const out = {};
const conn = process.env.CONNECTION_ID || 'c1';
// some client methods answer the axios response itself: keep what the server sent
const body = (res) => (res && res.status && res.headers && 'data' in res ? { status: res.status, data: res.data } : res);

async function caught(fn) {
    try {
        return { ok: true, value: await fn() };
    } catch (err) {
        return { ok: false, status: err.response?.status, data: err.response?.data, message: String(err.message) };
    }
}

async function main(scenario) {
    if (scenario === 'records') {
        const pages = [];
        let cursor = null;
        do {
            const page = await nango.listRecords({ providerConfigKey: 'acme', connectionId: conn, model: 'Item', limit: 40, cursor });
            pages.push(page.records.map((r) => [r.id, r._nango_metadata.last_action]));
            cursor = page.next_cursor;
        } while (cursor);
        out.pages = pages;
        out.added = (await nango.listRecords({ providerConfigKey: 'acme', connectionId: conn, model: 'Item', filter: 'added', limit: 1000 })).records.length;
        out.deleted = (await nango.listRecords({ providerConfigKey: 'acme', connectionId: conn, model: 'Item', filter: 'deleted' })).records.length;
        out.ids = (await nango.listRecords({ providerConfigKey: 'acme', connectionId: conn, model: 'Item', ids: ['i1', 'i2'] })).records.map((r) => r.id).sort();
        out.modifiedAfterFuture = (await nango.listRecords({ providerConfigKey: 'acme', connectionId: conn, model: 'Item', modifiedAfter: '2999-01-01T00:00:00Z' })).records.length;
        out.badLimit = await caught(() => nango.listRecords({ providerConfigKey: 'acme', connectionId: conn, model: 'Item', limit: 20000 }));
        out.unknownConnection = await caught(() => nango.listRecords({ providerConfigKey: 'acme', connectionId: 'nope', model: 'Item' }));
    } else if (scenario === 'actions') {
        out.echo = await nango.triggerAction('acme', conn, 'echo', { id: 'x', n: 3 });
        out.fail = await caught(() => nango.triggerAction('acme', conn, 'fail', { id: 'y' }));
        const started = await nango.triggerActionAsync('acme', conn, 'echo', { id: 'z', n: 1 });
        out.asyncStarted = started;
        let result = null;
        for (let i = 0; i < 300 && result === null; i++) {
            const got = await caught(() => nango.getAsyncActionResult({ id: started.id }));
            if (got.ok) result = got.value;
            else await new Promise((r) => setTimeout(r, 100));
        }
        out.asyncResult = result;
    } else if (scenario === 'syncs') {
        out.trigger = body(await nango.triggerSync('acme', ['items'], conn));
        out.triggerFull = body(await nango.triggerSync('acme', ['items'], conn, 'full_refresh'));
        out.pause = body(await nango.pauseSync('acme', ['items'], conn));
        out.statusPaused = (await nango.syncStatus('acme', ['items'], conn)).syncs.map((s) => s.status);
        out.start = body(await nango.startSync('acme', ['items'], conn));
        out.status = (await nango.syncStatus('acme', '*', conn)).syncs[0];
        out.frequency = body(await nango.updateSyncConnectionFrequency('acme', 'items', conn, 'every 2 hours'));
        out.connection = await nango.getConnection('acme', conn);
        out.connections = (await nango.listConnections()).connections.map((c) => c.connection_id);
        out.integration = (await nango.getIntegration({ uniqueKey: 'acme' })).data.unique_key;
    } else if (scenario === 'webhook') {
        const body = JSON.parse(process.env.WEBHOOK_BODY);
        out.legacy = nango.verifyWebhookSignature(process.env.WEBHOOK_SIGNATURE, body);
        out.hmac = nango.verifyIncomingWebhookRequest(process.env.WEBHOOK_BODY, { 'X-Nango-Hmac-Sha256': process.env.WEBHOOK_HMAC });
        out.tampered = nango.verifyIncomingWebhookRequest(process.env.WEBHOOK_BODY + ' ', { 'X-Nango-Hmac-Sha256': process.env.WEBHOOK_HMAC });
    }
    process.stdout.write(JSON.stringify(out));
}

main(process.argv[2]).catch((err) => {
    process.stderr.write(`${err.stack}\n${JSON.stringify(err.response?.data ?? null)}\n`);
    process.exit(1);
});

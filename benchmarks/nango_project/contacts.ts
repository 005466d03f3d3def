// The small sync of bench_dryrun.py written for Nango's CLI (0.69, zero-yaml TypeScript):
// the same 7 records in 3 cursor pages, saved as Contact.
import { createSync } from 'nango';
import * as z from 'zod';

const contact = z.object({
    id: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    email: z.string().nullable().optional()
});

const sync = createSync({
    description: 'Contacts of the local API',
    version: '1.0.0',
    endpoints: [{ method: 'GET', path: '/contacts', group: 'Contacts' }],
    frequency: 'every hour',
    autoStart: true,
    syncType: 'full',
    metadata: z.object({}),
    models: { Contact: contact },
    exec: async (nango) => {
        await nango.log('starting');
        const paginate = { type: 'cursor', cursor_path_in_response: 'next', cursor_name_in_request: 'cursor', response_path: 'data' } as const;
        for await (const page of nango.paginate({ endpoint: '/contacts', paginate })) {
            await nango.batchSave(page, 'Contact');
        }
    }
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;

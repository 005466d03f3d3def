// The small sync of bench_dryrun.py for Nango's CLI 0.69.14, nango.yaml mode: the same 7 records in
// 3 cursor pages, saved as Contact.
import type { NangoSync, Contact } from '../../models';

export default async function fetchData(nango: NangoSync): Promise<void> {
    await nango.log('starting');
    const paginate = { type: 'cursor', cursor_path_in_response: 'next', cursor_name_in_request: 'cursor', response_path: 'data' } as const;
    for await (const page of nango.paginate<Contact>({ endpoint: '/contacts', paginate })) {
        await nango.batchSave(page, 'Contact');
    }
}

/**
 * calls: the call model over a back-to-back user agent. In: new INVITEs and in-dialog requests
 * from the SIP server, DTMF from the media engine. Out: answers and requests on both legs of
 * every call, media bridged, played and recorded through the media engine, call detail records
 * and `call.*` events. It routes by dialled number to an application or an extension; it does not
 * parse SIP or RTP itself.
 */
export { CallManager, type CallsOptions, type Route } from './b2bua';
export type { CallEvents } from './events';
export { type CallRecord, CallRecords, type Disposition, dispositions } from './records';

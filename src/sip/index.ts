/**
 * sip: the SIP stack, layered as RFC 3261 draws it. In: bytes from a transport (a datagram, a
 * WebSocket message, or a stream cut by StreamFramer). Out: parsed requests and responses,
 * verdicts for malformed ones, transactions that retransmit and time out on an injected Clock,
 * dialogs, digest challenges and verdicts, SDP answers. The message, transaction, dialog, digest
 * and SDP layers never touch a socket: they send through `SipSender` (`send(message): Promise<void>`),
 * which the transports that own the sockets provide.
 */

export { formatNameAddr, type NameAddr, parseNameAddr, tagOf, withParam } from './address';
export {
  AckWait,
  Dialog,
  type DialogId,
  type DialogInit,
  type DialogState,
  dialogIdOfRequest,
  dialogIdOfResponse,
  dialogKey,
  dialogStates,
  type InDialogRequestInit,
} from './dialog';
export {
  answerChallenge,
  challengeHeaders,
  computeDigestResponse,
  computeHa1,
  type DigestAlgorithm,
  DigestAuthenticator,
  type DigestAuthenticatorOptions,
  type DigestChallenge,
  type DigestCredentials,
  type DigestFailure,
  type DigestVerdict,
  digestAlgorithms,
  digestFailures,
  digestUriOf,
  formatChallenge,
  formatCredentials,
  type Ha1Lookup,
  parseAuthHeader,
  parseDigestChallenge,
  parseDigestCredentials,
} from './digest';
export { isSipError, type Salvage, SipError, type SipErrorCode, sipErrorCodes } from './errors';
export {
  acceptsType,
  type Contacts,
  type CSeq,
  type MediaType,
  parseAccept,
  parseAddressList,
  parseContacts,
  parseCSeq,
  parseDate,
  parseDeltaSeconds,
  parseMaxForwards,
  parseMediaType,
  parseOptionTags,
} from './fields';
export { type Frame, type FramerOptions, StreamFramer } from './framer';
export { mutateMessage, seededRandom } from './fuzz';
export { type Params, paramText } from './grammar';
export { canonicalName, type HeaderField, Headers, headerKey } from './headers';
// The server side: transports, registrar, guard, and the server that ties them together.
export { type Binding, LocationService } from './location';
export {
  addToTag,
  cloneMessage,
  createRequest,
  createResponse,
  createTrying,
  getCallId,
  getContacts,
  getContentType,
  getCSeq,
  getFrom,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  methodOf,
  newTag,
  type RequestInit,
  type ResponseInit,
  reasonPhrases,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from './message';
export { DEFAULT_MAX_MESSAGE_BYTES, type ParseOptions, parseMessage } from './parser';
export {
  aorOf,
  defaultRegistrarOptions,
  handleRegister,
  type RegistrarOptions,
  registeredUser,
} from './registrar';
export {
  answerOffer,
  createOffer,
  type Direction,
  directions,
  type G711,
  isHoldOffer,
  type LocalMedia,
  type NegotiatedAudio,
  parseSdp,
  readAnswer,
  SdpOrigin,
} from './sdp';
export { defaultScannerUserAgents, type SecurityOptions, SipGuard } from './security';
export { type SipSender, senderFor } from './sender';
export {
  type SipCallCore,
  type SipCounters,
  type SipIdentity,
  SipServer,
  type SipServerOptions,
} from './server';
export { createCancel, createNon2xxAck } from './transactions/builders';
export {
  type ClientTransactionUser,
  type InviteClientState,
  InviteClientTransaction,
  inviteClientStates,
  type NonInviteClientState,
  NonInviteClientTransaction,
  nonInviteClientStates,
} from './transactions/client';
export {
  type ClientTransaction,
  type TransactionCore,
  TransactionLayer,
  type TransactionLayerOptions,
} from './transactions/layer';
export {
  type InviteServerState,
  InviteServerTransaction,
  inviteServerStates,
  type NonInviteServerState,
  NonInviteServerTransaction,
  nonInviteServerStates,
  type ServerTransaction,
  type ServerTransactionUser,
} from './transactions/server';
export { defaultTimers, type TimerValues } from './transactions/timers';
export type { StateListener, TimerName } from './transactions/transaction';
export {
  type Flow,
  type HostPort,
  type InboundHandler,
  type SipListener,
  type TransportProtocol,
  transportProtocols,
} from './transport';
export { TcpTransport } from './transport-tcp';
export { UdpTransport } from './transport-udp';
export { WsTransport } from './transport-ws';
export {
  type AbsoluteUri,
  formatUri,
  isSipUri,
  parseUri,
  requireSipUri,
  type SipUri,
  sipUri,
  type TelUri,
  type Uri,
  uriEquals,
} from './uri';
export {
  defaultRequestPolicy,
  knownMethods,
  type RequestPolicy,
  responseFromSalvage,
  type Screened,
  type ScreenOptions,
  screenMessage,
  type Verdict,
  validateRequest,
  validateResponse,
} from './validate';
export {
  branchOf,
  formatVia,
  isRfc3261Branch,
  MAGIC_COOKIE,
  newBranch,
  parseVia,
  responseDestination,
  sentBy,
  type Via,
} from './via';

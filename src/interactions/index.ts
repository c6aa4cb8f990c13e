/**
 * interactions: one contact on any channel — a call, a chat, an e-mail, an SMS — from arrival to
 * close, with the data attached on the way (customer, queue, agent, IVR path, intent). In: create,
 * update and close requests from the channels, the IVR, the ACD and the desktop. Out: the stored
 * record and `interaction.*` events. It never routes and never touches media.
 */
export {
  ephemeralChannels,
  type HolderLookup,
  type Interaction,
  type InteractionChannel,
  type InteractionEvents,
  type InteractionPublisher,
  type InteractionState,
  Interactions,
  interactionChannels,
  interactionStates,
} from './interactions';
export {
  holderOf,
  type InteractionAcdPort,
  type InteractionRoutesOptions,
  interactionRoutes,
} from './routes';

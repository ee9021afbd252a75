// XEP-0353 Jingle Message Initiation (v0.4+, namespace urn:xmpp:jingle-message:0)
// for StanzaJS. StanzaJS 12 has no JMI (only a constant, with a different
// namespace), so the elements are declared here with its JXT registry and
// the softphone drives the exchange; Jingle itself stays StanzaJS's.
import { attribute, childAttribute, childEnum, childText } from 'stanza/jxt/index.js';
import { JingleReasonCondition } from 'stanza/Constants.js';

export const NS_JMI = 'urn:xmpp:jingle-message:0';
export const NS_JINGLE_RTP = 'urn:xmpp:jingle:apps:rtp:1';
export const NS_JINGLE = 'urn:xmpp:jingle:1';

/** The JMI actions; message.jmi.type is one of these. */
export const JMI_ACTIONS = ['propose', 'ringing', 'proceed', 'reject', 'retract', 'accept', 'finish'];

/**
 * Registers <propose/>, <proceed/>, ... as message.jmi = { type, id, media, reason },
 * reason = { condition, text } from <reason xmlns='urn:xmpp:jingle:1'> (reject,
 * retract, finish; XEP-0353 v0.4+).
 * @param {object} client a StanzaJS Agent
 */
export function registerJmi(client) {
	// Say so in disco#info: a gateway rings a device that does not list JMI
	// with a direct session-initiate instead of a propose.
	client.disco.addFeature(NS_JMI);
	client.stanzas.define(JMI_ACTIONS.map(type => ({
		element: type,
		namespace: NS_JMI,
		path: 'message.jmi',
		type,
		typeField: 'type',
		fields: {
			id: attribute('id'),
			// <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/> (propose)
			media: childAttribute(NS_JINGLE_RTP, 'description', 'media'),
		},
	})));
	client.stanzas.define({
		element: 'reason',
		namespace: NS_JINGLE,
		path: 'message.jmi.reason',
		fields: {
			condition: childEnum(null, Object.values(JingleReasonCondition)),
			text: childText(null, 'text'),
		},
	});
}

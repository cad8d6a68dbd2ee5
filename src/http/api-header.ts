/**
 * The header every answer of the HTTP API carries, with the node's version: a
 * client (the CLI) tells the node's answers from those of another program on
 * the same port, which may well answer JSON too.
 */
export const API_HEADER = 'x-vguard-node'

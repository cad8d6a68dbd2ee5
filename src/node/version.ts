/** This release (package.json's version; a unit test keeps the two equal). Peers see it in identify's agent. */
export const VERSION = '0.1.0'

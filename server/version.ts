/** Kept equal to package.json's version (a test checks); JSON imports differ between runtimes. */
export const VERSION = '0.1.0';

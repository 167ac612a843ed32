/** Where the console's one stylesheet and one script are served; pages link nothing else. */
export const ASSET_PATHS = { css: '/ui/assets/console.css', js: '/ui/assets/console.js' } as const;

export const FIREWALL_ID = 'nft:nethost';

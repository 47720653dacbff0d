// Registers CKA_COPYABLE (PKCS#11 v2.40), which graphene's attribute table does not know. Contract: any module
// whose templates say `copyable` imports this one for its effect first; without it graphene would not pass the
// attribute to the token, and a key meant to be uncopyable would be made with the token's default.
import graphene from 'graphene-pk11';

graphene.registerAttribute('copyable', 0x171, 'boolean');

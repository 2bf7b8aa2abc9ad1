/* crm/crm.h: the umbrella header of the crmsync rules core. */
#ifndef CRM_CRM_H
#define CRM_CRM_H
#include "crm/export.h"
#include "crm/status.h"
#include "crm/alloc.h"
#include "crm/eval.h"
#include "crm/sha256.h"
#include "crm/punycode.h"
#include "crm/domain.h"
#endif

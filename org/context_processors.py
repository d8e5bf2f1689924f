from org import permissions


def navigation(request):
    """Role flags for the navigation bar (roles are read once per request)."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav": {
            "salesperson": permissions.is_salesperson(user),
            "supervisor": permissions.is_supervisor(user),
            "department": permissions.is_department(user),
            "hr": permissions.is_hr(user),
            "administrator": permissions.is_administrator(user),
            "manage_org": permissions.can_manage_organisation(user),
            "audit": permissions.can_read_audit_trail(user),
            "whole_org": permissions.sees_whole_organisation(user),
        }
    }

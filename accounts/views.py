"""Sign-in, organisation switching, people and invitations, API keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    AcceptInvitationForm,
    ApiKeyForm,
    InvitationForm,
    MobileAuthenticationForm,
    RoleForm,
)
from accounts.http import GrantRequest, UserRequest
from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, Role
from lib.access import Audience, access
from orgs.selectors import enterprise_get

login = access(Audience.PUBLIC)(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=MobileAuthenticationForm,
        redirect_authenticated_user=True,
    )
)
logout = access(Audience.PUBLIC)(auth_views.LogoutView.as_view())
password_change = access(Audience.SIGNED_IN)(
    auth_views.PasswordChangeView.as_view(
        template_name="accounts/form_page.html", success_url="/accounts/password/done/"
    )
)
password_change_done = access(Audience.SIGNED_IN)(
    auth_views.PasswordChangeDoneView.as_view(template_name="accounts/message_page.html")
)
password_reset = access(Audience.PUBLIC)(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/form_page.html",
        email_template_name="accounts/password_reset_email.txt",
        subject_template_name="accounts/password_reset_subject.txt",
        success_url="/accounts/password-reset/sent/",
    )
)
password_reset_sent = access(Audience.PUBLIC)(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/message_page.html")
)
password_reset_confirm = access(Audience.TOKEN)(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/form_page.html", success_url="/accounts/password-reset/done/"
    )
)
password_reset_done = access(Audience.PUBLIC)(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/message_page.html")
)


@access(Audience.SIGNED_IN)
@require_POST
def switch(request: UserRequest) -> HttpResponse:
    """Act for another organisation the user has a role in."""
    try:
        chosen = int(request.POST.get("grant", ""))
    except ValueError:
        chosen = 0
    grant = selectors.grant_active(user=request.user, chosen_id=chosen)
    if grant is not None and grant.pk == chosen:
        request.session[SESSION_KEY] = grant.pk
        messages.success(
            request, _("You are now acting for %(org)s.") % {"org": grant.organization.name}
        )
    return redirect("dashboards:home")


@access(Audience.MEMBER, admin=True)
def people(request: GrantRequest) -> HttpResponse:
    """Who has a role here, open invitations, and an invitation form."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                actor=request.user,
                grant=request.grant,
                organization=request.grant.organization,
                role=form.cleaned_data["role"],
                mobile=form.cleaned_data["mobile"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _show_invitation(request, invitation)
    return render(
        request,
        "accounts/people.html",
        {
            "grants": selectors.grant_list_for_organization(viewer=request.grant),
            "invitations": selectors.invitation_list(viewer=request.grant)[:50],
            "form": form,
            "new_link": request.session.pop("new_invitation_link", None),
            "role_form": RoleForm(),
        },
    )


def _show_invitation(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """Keep the new link for the people page, which shows it once."""
    request.session["new_invitation_link"] = _invitation_link(request, invitation)
    messages.success(
        request,
        _("Invitation created. Send the link below to %(name)s.") % {"name": invitation.name},
    )
    return redirect("accounts:people")


def _invitation_link(request: HttpRequest, invitation: Invitation) -> str:
    return request.build_absolute_uri(
        reverse("accounts:invitation_accept", args=[services.invitation_token(invitation)])
    )


def _add_errors(
    form: InvitationForm | AcceptInvitationForm | ApiKeyForm, exc: ValidationError
) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@access(Audience.ASSOCIATION, write=True, admin=True)
@require_POST
def member_invite(request: GrantRequest, pk: int) -> HttpResponse:
    """An association invites the first administrator of one of its member enterprises."""
    enterprise = enterprise_get(viewer=request.grant, pk=pk)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        try:
            invitation = services.invitation_create(
                actor=request.user,
                grant=request.grant,
                organization=enterprise,
                role=Role.ADMIN,
                mobile=form.cleaned_data["mobile"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return _show_invitation(request, invitation)
    return redirect("dashboards:home")


@access(Audience.MEMBER, admin=True)
@require_POST
def grant_change(request: GrantRequest, pk: int) -> HttpResponse:
    """Change or remove a person's role in the viewer's organisation."""
    grant = get_object_or_404(selectors.grant_list_for_organization(viewer=request.grant), pk=pk)
    try:
        if request.POST.get("action") == "remove":
            services.grant_delete(actor=request.user, grant=grant)
            messages.success(request, _("Role removed."))
        else:
            form = RoleForm(request.POST)
            if form.is_valid():
                services.grant_update(
                    actor=request.user, grant=grant, role=form.cleaned_data["role"]
                )
                messages.success(request, _("Role changed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:people")


@access(Audience.MEMBER, admin=True)
@require_POST
def invitation_revoke(request: GrantRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(selectors.invitation_list(viewer=request.grant), pk=pk)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("accounts:people")


@access(Audience.TOKEN)
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation by its signed link, signing up if needed."""
    try:
        invitation = services.invitation_from_token(token)
    except ValidationError as exc:
        return render(
            request,
            "accounts/message_page.html",
            {"title": _("Invitation"), "message": " ".join(exc.messages)},
            status=400,
        )
    user = request.user if request.user.is_authenticated else None
    form = AcceptInvitationForm(request.POST or None, initial={"name": invitation.name})
    if request.method == "POST" and (user is not None or form.is_valid()):
        try:
            grant = services.invitation_accept(
                invitation=invitation,
                user=user,  # type: ignore[arg-type]
                name=form.cleaned_data.get("name", "") if user is None else "",
                password=form.cleaned_data.get("password1", "") if user is None else "",
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if user is None:
                auth_login(request, grant.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = grant.pk
            messages.success(request, _("Welcome to %(org)s.") % {"org": grant.organization.name})
            return redirect("dashboards:home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "signed_in_user": user},
    )


@access(Audience.ENTERPRISE, admin=True)
def api_keys(request: GrantRequest) -> HttpResponse:
    """The enterprise's API keys; a new key's secret is shown once."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _key, secret = services.api_key_create(
                actor=request.user,
                organization=request.grant.organization,
                name=form.cleaned_data["name"],
                can_write=form.cleaned_data["can_write"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session["new_api_secret"] = secret
            return redirect("accounts:api_keys")
    return render(
        request,
        "accounts/api_keys.html",
        {
            "keys": selectors.api_key_list(viewer=request.grant),
            "form": form,
            "secret": request.session.pop("new_api_secret", None),
        },
    )


@access(Audience.ENTERPRISE, admin=True)
@require_POST
def api_key_revoke(request: GrantRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(selectors.api_key_list(viewer=request.grant), pk=pk)
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("Key revoked. Requests with it are refused from now on."))
    return redirect("accounts:api_keys")

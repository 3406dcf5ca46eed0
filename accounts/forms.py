"""Account forms: a new account, removing a member, unlocking a sign-in."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation


class NewAccountForm(forms.Form):
    """Username and password twice; used for the first admin and for new team members."""

    username = forms.CharField(label="Username", max_length=150)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    confirm_password = forms.CharField(
        label="Confirm password", widget=forms.PasswordInput, strip=False
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken; choose another.")
        return username

    def clean(self) -> dict:
        data = super().clean()
        password, confirm = data.get("password"), data.get("confirm_password")
        if password and confirm and password != confirm:
            self.add_error("confirm_password", "The two passwords differ; type them again.")
        elif password:
            user = get_user_model()(username=data.get("username", ""))
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data

    def create_user(self, *, admin: bool):  # type: ignore[no-untyped-def]
        return get_user_model().objects.create_user(
            username=self.cleaned_data["username"],
            password=self.cleaned_data["password"],
            is_staff=admin,
            is_superuser=admin,
        )


class RemoveMemberForm(forms.Form):
    """Which member to remove; anything but an existing member's id is refused."""

    remove = forms.IntegerField(min_value=1)

    def member(self):  # type: ignore[no-untyped-def]
        return get_user_model().objects.filter(pk=self.cleaned_data["remove"]).first()


class UnlockForm(forms.Form):
    """A username or an address whose failed sign-ins an admin forgives."""

    kind = forms.ChoiceField(choices=[("username", "username"), ("address", "address")])
    value = forms.CharField(max_length=255)

"""WTForms forms; Flask-WTF adds the CSRF token to each."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from arena.core.accounts import MIN_PASSWORD_LENGTH, USERNAME_PATTERN


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class SignupForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Regexp(
                USERNAME_PATTERN,
                message=_l("3 to 40 letters, digits, dots, dashes or underscores."),
            ),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", _l("Passwords differ."))],
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Public display name (optional)"),
        validators=[
            Length(max=40),
            Regexp(r"^[\w .'-]*$", message=_l("Letters, digits and . ' - only.")),
        ],
    )
    anonymous_on_boards = BooleanField(_l("Stay anonymous on people boards"))
    publish_directly = BooleanField(
        _l(
            "Publish chats shared through the API (e.g. from Open WebUI) at once, "
            "without checking the redactions first"
        )
    )
